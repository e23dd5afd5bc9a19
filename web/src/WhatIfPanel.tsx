/** What-if: proposed manifests through simulate (nothing is written), and the difference they would make. */
import { useEffect, useState } from "react";
import type { Api } from "./api";
import { policyLabel, type PolicyRef } from "./PolicyView";

interface Change {
  diffType: string;
  src: { display: string };
  dst: { display: string };
  before: { text: string };
  after: { text: string };
  gained: { text: string };
  lost: { text: string };
  causes: { text: string }[];
}
interface Simulation {
  generation: number;
  method: string;
  gainedTotal: number;
  lostTotal: number;
  warnings: string[];
  policyChanges: { policy: PolicyRef; change: string }[];
  changes: Change[];
}

const SIMULATE = `mutation WhatIf($manifests: String!, $mode: SimulationMode) { simulate(manifests: $manifests, mode: $mode) {
  generation method gainedTotal lostTotal warnings policyChanges { policy { kind namespace name } change }
  changes { diffType src { display } dst { display } before { text } after { text } gained { text } lost { text } causes { text } } } }`;

export const SAMPLE = `# Paste NetworkPolicies (YAML or JSON, several documents with ---), or edit one from
# the policy view. Nothing is applied: kubereach shows what would change.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
  namespace: NAMESPACE
spec:
  podSelector: {}
  policyTypes: [Ingress]
`;

export function WhatIfPanel({ api, initial }: { api: Api; initial: string }) {
  const [text, setText] = useState(initial);
  const [mode, setMode] = useState("APPLY");
  const [result, setResult] = useState<Simulation | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => setText(initial), [initial]);
  const run = async () => {
    setError("");
    setResult(null);
    setBusy(true);
    try {
      setResult((await api.query<{ simulate: Simulation }>(SIMULATE, { manifests: text, mode })).simulate);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="whatif-screen">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label htmlFor="manifests">Proposed manifests</label>
        <textarea id="manifests" value={text} onChange={(e) => setText(e.target.value)} rows={16} spellCheck={false} data-testid="whatif-text" />
        <label>
          Mode{" "}
          <select value={mode} onChange={(e) => setMode(e.target.value)}>
            <option value="APPLY">apply (as kubectl apply)</option>
            <option value="REPLACE_NAMESPACE">replace the namespaces' policies</option>
            <option value="REPLACE_ALL">replace every policy</option>
          </select>
        </label>{" "}
        <button type="submit" disabled={busy} data-testid="whatif-run">
          Show the difference
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {result && (
        <section data-testid="whatif-result" aria-live="polite">
          <p>
            Against generation {result.generation} ({result.method.toLowerCase()}): <span className="gained">{result.gainedTotal} pairs gain</span>,{" "}
            <span className="lost">{result.lostTotal} lose</span> connections.
          </p>
          {result.policyChanges.length > 0 && (
            <ul>
              {result.policyChanges.map((c, i) => (
                <li key={i}>
                  {c.change} {policyLabel(c.policy)}
                </li>
              ))}
            </ul>
          )}
          {result.warnings.map((w, i) => (
            <p key={i} className="warning">
              {w}
            </p>
          ))}
          <table data-testid="whatif-changes">
            <thead>
              <tr>
                <th scope="col">Change</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {result.changes.map((c, i) => (
                <tr key={i} className={c.diffType.toLowerCase()}>
                  <td>
                    {c.gained.text !== "No Connections" && <span className="gained">+{c.gained.text}</span>} {c.lost.text !== "No Connections" && <span className="lost">&minus;{c.lost.text}</span>}
                  </td>
                  <td>{c.src.display}</td>
                  <td>{c.dst.display}</td>
                  <td>{c.before.text}</td>
                  <td>{c.after.text}</td>
                  <td>{c.causes.map((x) => x.text).join(" ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
