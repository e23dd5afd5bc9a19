/** "Can A reach B on port P": canConnect's verdict and explanation, with links to the policies it names. */
import { useEffect, useState } from "react";
import type { Api } from "./api";
import type { GraphData } from "./model";
import { PolicyLink, type PolicyRef } from "./PolicyView";

export interface WhyQuestion {
  readonly from: string;
  readonly to: string;
  readonly port: string;
  readonly protocol: string;
}

interface RuleReason {
  policy: PolicyRef;
  rule: string;
  peer: string;
  ports: string;
}
interface TierRule extends RuleReason {
  tier: string;
  priority: number | null;
  ruleName: string | null;
  action: string;
}
interface Side {
  direction: string;
  subject: string;
  governed: boolean;
  decidedIn: string;
  decidedBy: TierRule | null;
  passedBy: TierRule[];
  isolatedBy: PolicyRef[];
  admittedBy: RuleReason[];
  nearMisses: RuleReason[];
  allowed: boolean;
  reason: string;
}
interface Answer {
  canConnect: { allowed: string; explanation: { summary: string[]; generation: number; egress: Side | null; ingress: Side | null } };
}

const P = "policy { kind namespace name }";
const TIER = `tier ${P} priority rule ruleName action peer ports`;
const SIDE = `direction subject governed decidedIn decidedBy { ${TIER} } passedBy { ${TIER} } isolatedBy { kind namespace name } admittedBy { ${P} rule peer ports } nearMisses { ${P} rule peer ports } allowed reason`;
const WHY = `query Why($from: EndpointRef!, $to: EndpointRef!, $port: Int!, $protocol: Protocol, $at: DateTime) {
  canConnect(from: $from, to: $to, port: $port, protocol: $protocol, at: $at) { allowed explanation { summary generation egress { ${SIDE} } ingress { ${SIDE} } } } }`;

/** `ns/name[Kind]`, `ns/name`, an IP address, or an external range `a-b[External]` (its first address). */
export function endpointRef(text: string): Record<string, unknown> {
  const t = text.trim();
  const ext = /^([0-9a-fA-F.:]+)-[0-9a-fA-F.:]+\[External\]$/.exec(t);
  if (ext) return { ip: ext[1] };
  if (/^[0-9.]+$/.test(t) || /^[0-9a-fA-F:]+:[0-9a-fA-F:.]*$/.test(t)) return { ip: t };
  const m = /^([^/\s]+)\/([^[\s]+)(?:\[(\w+)\])?$/.exec(t);
  if (!m) throw new Error(`"${text}": write namespace/name, namespace/name[Kind] or an IP address`);
  return { workload: { namespace: m[1], name: m[2], ...(m[3] ? { kind: m[3] } : {}) } };
}

export function WhyPanel({ api, data, question, at, onPolicy }: { api: Api; data: GraphData | null; question: WhyQuestion | null; at: string | null; onPolicy(p: PolicyRef): void }) {
  const [form, setForm] = useState<WhyQuestion>(question ?? { from: "", to: "", port: "80", protocol: "TCP" });
  const [answer, setAnswer] = useState<Answer["canConnect"] | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const ask = async (q: WhyQuestion) => {
    setError("");
    setAnswer(null);
    try {
      const port = Number(q.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port "${q.port}" must be 1-65535`);
      setBusy(true);
      const r = await api.query<Answer>(WHY, { from: endpointRef(q.from), to: endpointRef(q.to), port, protocol: q.protocol, at });
      setAnswer(r.canConnect);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (question) {
      setForm(question);
      void ask(question);
    }
  }, [question]); // a new question from the graph is asked at once

  const set = (k: keyof WhyQuestion) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  return (
    <div className="why-screen">
      <form
        className="why-form"
        onSubmit={(e) => {
          e.preventDefault();
          void ask(form);
        }}
      >
        <datalist id="endpoints">{data?.nodes.map((n) => <option key={n.index} value={n.id} />)}</datalist>
        <label>
          Can <input value={form.from} onChange={set("from")} list="endpoints" placeholder="namespace/name or IP" required data-testid="why-from" />
        </label>
        <label>
          reach <input value={form.to} onChange={set("to")} list="endpoints" placeholder="namespace/name or IP" required data-testid="why-to" />
        </label>
        <label>
          on port <input value={form.port} onChange={set("port")} size={6} inputMode="numeric" required data-testid="why-port" />
        </label>
        <select value={form.protocol} onChange={set("protocol")} aria-label="Protocol" data-testid="why-protocol">
          <option>TCP</option>
          <option>UDP</option>
          <option>SCTP</option>
        </select>
        <button type="submit" disabled={busy}>
          Explain
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {answer && (
        <article className="explanation" data-testid="explanation" aria-live="polite">
          <p className={`verdict ${answer.allowed.toLowerCase()}`} data-testid="verdict">
            {answer.allowed}
          </p>
          <ol className="summary" data-testid="why-summary">
            {answer.explanation.summary.map((s, i) => (
              <li key={i}>{s}</li>
            ))}
          </ol>
          <div className="sides">
            {[answer.explanation.egress, answer.explanation.ingress].map((s) => s && <SideCard key={s.direction} side={s} onPolicy={onPolicy} />)}
          </div>
          <p className="hint">Generation {answer.explanation.generation}.</p>
        </article>
      )}
    </div>
  );
}

function SideCard({ side, onPolicy }: { side: Side; onPolicy(p: PolicyRef): void }) {
  const rules = (title: string, list: RuleReason[], testid: string) =>
    list.length > 0 && (
      <>
        <h4>{title}</h4>
        <ul data-testid={testid}>
          {list.map((r, i) => (
            <li key={i}>
              <PolicyLink policy={r.policy} onOpen={onPolicy} /> {r.rule}: from/to {r.peer}, ports {r.ports}
            </li>
          ))}
        </ul>
      </>
    );
  const tier = (r: TierRule) => (
    <>
      {r.action} by <PolicyLink policy={r.policy} onOpen={onPolicy} /> {r.rule}
      {r.ruleName ? ` (${r.ruleName})` : ""}
      {r.priority !== null ? `, priority ${r.priority}` : ""}: {r.peer}, ports {r.ports}
    </>
  );
  return (
    <section className={`side ${side.allowed ? "allowed" : "denied"}`} aria-label={`${side.direction.toLowerCase()} side`}>
      <h3>
        {side.direction === "EGRESS" ? "Egress" : "Ingress"} of {side.subject}: {side.allowed ? "allowed" : "denied"}
      </h3>
      <p>{side.reason}</p>
      <p className="hint">Decided in: {side.decidedIn.replace("_", " ").toLowerCase()}</p>
      {side.decidedBy && <p>{tier(side.decidedBy)}</p>}
      {side.passedBy.length > 0 && (
        <ul>
          {side.passedBy.map((r, i) => (
            <li key={i}>{tier(r)}</li>
          ))}
        </ul>
      )}
      {side.isolatedBy.length > 0 && (
        <>
          <h4>Isolated by</h4>
          <ul data-testid="isolated-by">
            {side.isolatedBy.map((p, i) => (
              <li key={i}>
                <PolicyLink policy={p} onOpen={onPolicy} />
              </li>
            ))}
          </ul>
        </>
      )}
      {rules("Admitted by", side.admittedBy, "admitted-by")}
      {rules("Rules that match the peer but not this port", side.nearMisses, "near-misses")}
    </section>
  );
}
