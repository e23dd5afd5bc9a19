/** Findings of the latest generation, most severe first, each linked to the objects it names. */
import { useEffect, useState } from "react";
import type { Api } from "./api";
import { PolicyLink, type PolicyRef } from "./PolicyView";

interface Finding {
  kind: string;
  severity: string;
  direction: string | null;
  namespace: string;
  message: string;
  hint: string;
  objects: { kind: string; namespace: string; name: string; field: string | null }[];
}

const FINDINGS = `query Findings($min: Severity) { findings(minSeverity: $min) { generation findings { kind severity direction namespace message hint objects { kind namespace name field } } } }`;
const POLICY_KINDS = new Set(["NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"]);

export function FindingsPanel({ api, refreshKey, onPolicy, onWorkload }: { api: Api; refreshKey: number; onPolicy(p: PolicyRef): void; onWorkload(id: string): void }) {
  const [min, setMin] = useState("LOW");
  const [report, setReport] = useState<{ generation: number; findings: Finding[] } | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    setError("");
    api
      .query<{ findings: { generation: number; findings: Finding[] } }>(FINDINGS, { min })
      .then((r) => setReport(r.findings))
      .catch((e: Error) => setError(e.message));
  }, [api, min, refreshKey]);
  return (
    <div className="findings-screen">
      <label>
        At least{" "}
        <select value={min} onChange={(e) => setMin(e.target.value)} data-testid="min-severity">
          <option>HIGH</option>
          <option>MEDIUM</option>
          <option>LOW</option>
          <option>INFO</option>
        </select>
      </label>
      {error && <p className="error">{error}</p>}
      {report && (
        <>
          <p className="hint">
            {report.findings.length} finding{report.findings.length === 1 ? "" : "s"} in generation {report.generation}.
          </p>
          <ul className="findings" data-testid="findings">
            {report.findings.map((f, i) => (
              <li key={i} className={`finding ${f.severity.toLowerCase()}`}>
                <span className={`severity ${f.severity.toLowerCase()}`}>{f.severity}</span> <strong>{f.kind}</strong>
                {f.direction ? ` (${f.direction.toLowerCase()})` : ""} <span>{f.message}</span>
                <p className="hint">Fix: {f.hint}</p>
                <ul className="objects">
                  {f.objects.map((o, j) => (
                    <li key={j}>
                      {POLICY_KINDS.has(o.kind) ? (
                        <PolicyLink policy={{ kind: o.kind, namespace: o.namespace, name: o.name }} onOpen={onPolicy} />
                      ) : o.kind === "Namespace" ? (
                        `Namespace ${o.name}`
                      ) : (
                        <button type="button" className="link" onClick={() => onWorkload(`${o.namespace}/${o.name}[${o.kind}]`)}>
                          {o.namespace}/{o.name}[{o.kind}]
                        </button>
                      )}
                      {o.field ? <code> {o.field}</code> : null}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
