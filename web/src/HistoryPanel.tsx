/**
 * History: the recorded policy changes (auditLog) with their reachability impact, newest first;
 * choosing one shows its patch and what it opened and closed; the time slider sets `at`, which
 * redraws the graph as it was then. Refreshed when a generation lands (live view only).
 */
import { useEffect, useState } from "react";
import type { Api } from "./api";
import { PolicyLink, type PolicyRef } from "./PolicyView";

interface ImpactRow {
  src: string;
  dst: string;
  connections: string;
  before: string;
  after: string;
}
export interface Revision {
  id: string;
  seq: string;
  objectKind: string;
  namespace: string;
  name: string;
  operation: string;
  observedAt: string;
  observedVia: string;
  diff: { op: string; path: string; value?: unknown }[];
  impact: { exact: boolean; generation: number; gainedTotal: number; lostTotal: number; truncated: boolean; gained: ImpactRow[]; lost: ImpactRow[] } | null;
}

// 80 a page: larger pages of revisions with their impact rows exceed the API's query cost limit.
const AUDIT = `query History($after: String) { auditLog(first: 80, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { id seq objectKind namespace name operation observedAt observedVia diff
    impact { exact generation gainedTotal lostTotal truncated gained { src dst connections before after } lost { src dst connections before after } } } } } }`;
/** The timeline shows the latest this many changes. */
const MAX_REVISIONS = 2000;

/** How often, and how many times, the newest change's pending impact is asked for again. */
const IMPACT_RETRY_MS = 1500;
const IMPACT_RETRIES = 20;

const POLICY_KINDS = new Set(["NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"]);

export function HistoryPanel({ api, refreshKey, at, onAt, onPolicy }: { api: Api; refreshKey: number; at: string | null; onAt(at: string | null): void; onPolicy(p: PolicyRef): void }) {
  const [revisions, setRevisions] = useState<Revision[] | null>(null);
  const [error, setError] = useState("");
  const [chosen, setChosen] = useState<string | null>(null);
  // Impacts are recorded after their generation commits (in the sync's impact worker): while the
  // newest change still shows none, ask again a few times rather than wait for the next generation.
  const [retry, setRetry] = useState(0);
  useEffect(() => setRetry(0), [refreshKey]);
  useEffect(() => {
    if (!revisions || revisions.length === 0 || revisions.at(-1)!.impact || retry >= IMPACT_RETRIES) return;
    const timer = setTimeout(() => setRetry((n) => n + 1), IMPACT_RETRY_MS);
    return () => clearTimeout(timer);
  }, [revisions, retry]);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      const all: Revision[] = [];
      let after: string | null = null;
      for (;;) {
        type Page = { auditLog: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: Revision }[] } };
        const r: Page = await api.query<Page>(AUDIT, { after });
        all.push(...r.auditLog.edges.map((e) => e.node));
        if (all.length > MAX_REVISIONS) all.splice(0, all.length - MAX_REVISIONS);
        if (!r.auditLog.pageInfo.hasNextPage) break;
        after = r.auditLog.pageInfo.endCursor;
      }
      if (!cancelled) setRevisions(all);
    })().catch((e: Error) => !cancelled && setError(e.message));
    return () => {
      cancelled = true;
    };
  }, [api, refreshKey, retry]);

  if (error) return <p className="error">{error}</p>;
  if (!revisions) return <p className="hint">Loading the history&hellip;</p>;
  if (revisions.length === 0) return <p className="hint">No change recorded yet.</p>;

  // Slider positions: the generations the changes took effect in. Position k shows the cluster
  // from generation k's commit until the first change of the next one was observed (the last: live).
  const generations = [...new Set(revisions.flatMap((r) => (r.impact ? [r.impact.generation] : [])))].sort((a, b) => a - b);
  const firstSeen = new Map<number, number>();
  for (const r of revisions) if (r.impact && !firstSeen.has(r.impact.generation)) firstSeen.set(r.impact.generation, Date.parse(r.observedAt));
  const times = generations.map((_g, k) => (k + 1 < generations.length ? new Date(firstSeen.get(generations[k + 1]!)! - 1).toISOString() : null));
  const position = at === null ? generations.length - 1 : Math.max(0, times.indexOf(at));
  const timeOf = (r: Revision) => (r.impact ? (times[generations.indexOf(r.impact.generation)] ?? null) : null);
  const chosenRev = revisions.find((r) => r.id === chosen) ?? null;
  return (
    <div className="history-screen">
      <div className="slider">
        <label htmlFor="time-slider">Graph as of</label>
        <input
          id="time-slider"
          type="range"
          min={0}
          max={Math.max(0, generations.length - 1)}
          value={Math.max(0, position)}
          disabled={generations.length < 2}
          onChange={(e) => onAt(times[Number(e.target.value)] ?? null)}
          aria-valuetext={at ? `generation ${generations[position]}, ${at}` : "now (live)"}
          data-testid="time-slider"
        />
        <output data-testid="time-label">{at ? `generation ${generations[position]}, until ${new Date(at).toLocaleString()}` : "now, live"}</output>
        {at && (
          <button type="button" onClick={() => onAt(null)}>
            Back to live
          </button>
        )}
      </div>
      <div className="history-main">
        <ol className="timeline" reversed data-testid="timeline" aria-label="Recorded changes, newest first">
          {[...revisions].reverse().map((r) => (
            <li key={r.id} className={r.id === chosen ? "chosen" : ""}>
              <button type="button" onClick={() => setChosen(r.id)} aria-pressed={r.id === chosen}>
                <time dateTime={r.observedAt}>{new Date(r.observedAt).toLocaleString()}</time> <span className={`op ${r.operation.toLowerCase()}`}>{r.operation}</span> {r.objectKind} {r.namespace ? `${r.namespace}/` : ""}
                {r.name}{" "}
                {r.impact ? (
                  <span className="impact">
                    <span className="gained">+{r.impact.gainedTotal}</span> <span className="lost">&minus;{r.impact.lostTotal}</span>
                  </span>
                ) : (
                  <span className="impact hint">impact pending</span>
                )}
              </button>
            </li>
          ))}
        </ol>
        <section className="revision" data-testid="revision" aria-live="polite">
          {chosenRev ? <RevisionDetail r={chosenRev} onPolicy={onPolicy} onAt={() => onAt(timeOf(chosenRev))} /> : <p className="hint">Choose a change to see what it opened and closed.</p>}
        </section>
      </div>
    </div>
  );
}

function RevisionDetail({ r, onPolicy, onAt }: { r: Revision; onPolicy(p: PolicyRef): void; onAt(): void }) {
  const rows = (list: ImpactRow[], testid: string) => (
    <table data-testid={testid}>
      <thead>
        <tr>
          <th scope="col">From</th>
          <th scope="col">To</th>
          <th scope="col">Connections</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {list.map((x, i) => (
          <tr key={i}>
            <td>{x.src}</td>
            <td>{x.dst}</td>
            <td>{x.connections}</td>
            <td>{x.before}</td>
            <td>{x.after}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <>
      <h3>
        #{r.seq} {r.operation}{" "}
        {POLICY_KINDS.has(r.objectKind) ? <PolicyLink policy={{ kind: r.objectKind, namespace: r.namespace, name: r.name }} onOpen={onPolicy} /> : `${r.objectKind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`}
      </h3>
      <p className="hint">
        Observed {new Date(r.observedAt).toLocaleString()} via {r.observedVia}.{" "}
        <button type="button" onClick={onAt}>
          Show the graph after this change
        </button>
      </p>
      <h4>Change</h4>
      <ul className="patch">
        {r.diff.map((d, i) => (
          <li key={i}>
            <code>
              {d.op} {d.path}
              {d.value !== undefined ? ` ${JSON.stringify(d.value)}` : ""}
            </code>
          </li>
        ))}
      </ul>
      {!r.impact && <p className="hint">The impact is computed with the next generation.</p>}
      {r.impact && (
        <>
          {!r.impact.exact && <p className="hint">Several changes observed together share this impact.</p>}
          <h4>
            Opened ({r.impact.gainedTotal}){r.impact.truncated ? ", first rows" : ""}
          </h4>
          {r.impact.gained.length ? rows(r.impact.gained, "opened") : <p className="hint">nothing</p>}
          <h4>Closed ({r.impact.lostTotal})</h4>
          {r.impact.lost.length ? rows(r.impact.lost, "closed") : <p className="hint">nothing</p>}
        </>
      )}
    </>
  );
}
