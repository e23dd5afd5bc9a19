/**
 * The graph screen: filters (namespace, label selector, port), search, the WebGL graph, the selected
 * workload's peers in both directions with the connections on each edge, and the same data as
 * tables (for keyboards and screen readers).
 */
import { memo, useEffect, useMemo, useState } from "react";
import type { Api } from "./api";
import { GraphCanvas, type Grouping } from "./GraphCanvas";
import { layoutGraph } from "./layout";
import { connAllows, isIsolated, isWideOpen, parsePortFilter, type GEdge, type GNode, type GraphData } from "./model";

interface Props {
  readonly api: Api;
  readonly data: GraphData;
  readonly selected: number | null;
  onSelect(index: number | null): void;
  /** Opens the "why" form for this pair. */
  onWhy(from: GNode, to: GNode, conn: string): void;
  onDrawn?(info: { aggregated: boolean }): void;
}

const TABLE_ROWS = 200;
/** Peers listed per direction before a "Show all" button: a workload reached by every other one would list thousands. */
const PEER_ROWS = 100;

export function GraphPanel({ api, data, selected, onSelect, onWhy, onDrawn }: Props) {
  const layout = useMemo(() => layoutGraph(data), [data]);
  const [namespace, setNamespace] = useState("");
  const [selectorText, setSelectorText] = useState("");
  const [selector, setSelector] = useState<{ text: string; ids: Set<string> } | null>(null);
  const [selectorError, setSelectorError] = useState("");
  const [portText, setPortText] = useState("");
  const [search, setSearch] = useState("");
  const [grouping, setGrouping] = useState<Grouping>("auto");
  const [tableRows, setTableRows] = useState(TABLE_ROWS);

  let portError = "";
  let port: ReturnType<typeof parsePortFilter>;
  try {
    port = parsePortFilter(portText);
  } catch (e) {
    portError = (e as Error).message;
  }

  // The label selector is evaluated by the server (kubectl notation, its own parser and errors).
  const applySelector = async (text: string) => {
    setSelectorError("");
    if (!text.trim()) return setSelector(null);
    try {
      const r = await api.query<{ workloads: { namespace: string; kind: string; name: string }[] }>(
        `query($sel: String) { workloads(labelSelector: $sel) { namespace kind name } }`,
        { sel: text },
      );
      setSelector({ text, ids: new Set(r.workloads.map((w) => `${w.namespace}/${w.name}[${w.kind}]`)) });
    } catch (e) {
      setSelectorError((e as Error).message);
    }
  };
  useEffect(() => {
    // A new generation: the selector's answer may have changed.
    if (selector) void applySelector(selector.text);
  }, [data]);

  // The filters' masks do not depend on the selection: selecting keeps them (and the renderer's work small).
  const masks = useMemo(() => {
    const focus = new Uint8Array(data.nodes.length);
    for (const n of data.nodes) focus[n.index] = n.external ? 0 : (!namespace || n.namespace === namespace) && (!selector || selector.ids.has(n.id)) ? 1 : 0;
    const filtered = namespace !== "" || selector !== null;
    const nodeVisible = new Uint8Array(data.nodes.length);
    const edgeVisible = new Uint8Array(data.edges.length);
    data.edges.forEach((e, i) => {
      if (port && !connAllows(e.conn, port)) return;
      if (filtered && !focus[e.src] && !focus[e.dst]) return;
      edgeVisible[i] = 1;
      nodeVisible[e.src] = 1;
      nodeVisible[e.dst] = 1;
    });
    for (const n of data.nodes) if (!filtered ? !n.external : focus[n.index]) nodeVisible[n.index] = 1;
    return { nodeVisible, edgeVisible };
  }, [data, namespace, selector, port?.port, port?.protocol]);
  const view = useMemo(() => ({ ...masks, selected, grouping }), [masks, selected, grouping]);
  const visibleNodes = useMemo(() => data.nodes.filter((n) => masks.nodeVisible[n.index]), [data, masks]);
  const visibleEdges = useMemo(() => data.edges.filter((_, i) => masks.edgeVisible[i]), [data, masks]);
  // The table's rows with their counts, independent of the selection: selecting re-renders the two rows whose mark changes.
  const rows = useMemo(
    () =>
      visibleNodes.slice(0, tableRows).map((n) => ({
        node: n,
        reachedBy: data.incoming[n.index]!.filter((e) => masks.edgeVisible[e]).length,
        reaches: data.outgoing[n.index]!.filter((e) => masks.edgeVisible[e]).length,
      })),
    [data, masks, visibleNodes, tableRows],
  );
  const matches = search.trim() ? data.nodes.filter((n) => n.id.toLowerCase().includes(search.trim().toLowerCase())).slice(0, 20) : [];
  const sel = selected === null ? null : data.nodes[selected]!;

  return (
    <div className="graph-screen">
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Namespace{" "}
          <select value={namespace} onChange={(e) => setNamespace(e.target.value)} data-testid="filter-namespace">
            <option value="">all</option>
            {data.namespaces.map((ns) => (
              <option key={ns} value={ns}>
                {ns}
              </option>
            ))}
          </select>
        </label>
        <label>
          Labels{" "}
          <input
            value={selectorText}
            placeholder="app=web,tier in (a,b)"
            onChange={(e) => setSelectorText(e.target.value)}
            onKeyDown={(e) => e.key === "Enter" && void applySelector(selectorText)}
            onBlur={() => void applySelector(selectorText)}
            data-testid="filter-labels"
            aria-invalid={selectorError !== ""}
          />
        </label>
        <label>
          Port{" "}
          <input value={portText} placeholder="80 or 53/UDP" size={10} onChange={(e) => setPortText(e.target.value)} data-testid="filter-port" aria-invalid={portError !== ""} />
        </label>
        <label>
          Show{" "}
          <select value={grouping} onChange={(e) => setGrouping(e.target.value as Grouping)} data-testid="grouping">
            <option value="auto">namespaces when zoomed out</option>
            <option value="namespaces">namespaces</option>
            <option value="workloads">workloads</option>
          </select>
        </label>
        <span className="search">
          <label>
            Search{" "}
            <input
              value={search}
              placeholder="workload name"
              onChange={(e) => setSearch(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && matches[0]) {
                  onSelect(matches[0].index);
                  setSearch("");
                }
              }}
              data-testid="search"
              aria-controls="search-results"
            />
          </label>
          {matches.length > 0 && (
            <ul id="search-results" className="search-results" data-testid="search-results">
              {matches.map((n) => (
                <li key={n.index}>
                  <button type="button" onClick={() => (onSelect(n.index), setSearch(""))}>
                    {n.id}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </span>
        {(selectorError || portError) && (
          <p className="error" role="alert">
            {selectorError || portError}
          </p>
        )}
      </form>
      <div className="graph-main">
        <div className="graph-wrap">
          <GraphCanvas data={data} layout={layout} view={view} onSelect={onSelect} onDrawn={onDrawn} />
          <Legend />
          <p className="graph-stats" data-testid="graph-stats">
            {visibleNodes.length} of {data.nodes.length} nodes, {visibleEdges.length} of {data.edges.length} edges
          </p>
        </div>
        <aside className="details" aria-live="polite" data-testid="details">
          {sel ? <Selected data={data} node={sel} port={port} onSelect={onSelect} onWhy={onWhy} /> : <p className="hint">Select a workload (click it, search it or pick it in the table) to see who can reach it and what it can reach.</p>}
        </aside>
      </div>
      <section className="tables" aria-label="The graph as tables">
        <h2>Workloads</h2>
        <table data-testid="workload-table">
          <caption className="visually-hidden">Workloads shown in the graph, with how many peers reach them and they reach</caption>
          <thead>
            <tr>
              <th scope="col">Workload</th>
              <th scope="col">Pods</th>
              <th scope="col">Reached by</th>
              <th scope="col">Reaches</th>
              <th scope="col">Marks</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <WorkloadRow key={r.node.index} data={data} node={r.node} reachedBy={r.reachedBy} reaches={r.reaches} isSelected={r.node.index === selected} onSelect={onSelect} />
            ))}
          </tbody>
        </table>
        {visibleNodes.length > tableRows && (
          <button type="button" onClick={() => setTableRows(tableRows + TABLE_ROWS)}>
            Show {Math.min(TABLE_ROWS, visibleNodes.length - tableRows)} more of {visibleNodes.length}
          </button>
        )}
        <h2>Connections</h2>
        <EdgeTable data={data} edges={visibleEdges} limit={tableRows} />
      </section>
    </div>
  );
}

function Legend() {
  return (
    <ul className="legend" aria-label="Legend">
      <li>
        <span className="swatch open" /> wide open (no policy isolates it for ingress)
      </li>
      <li>
        <span className="swatch isolated" /> isolated (no allowed connection in or out)
      </li>
      <li>
        <span className="swatch external" /> external range
      </li>
      <li>
        <span className="swatch in" /> can reach the selection <span className="swatch out" /> reached by it
      </li>
    </ul>
  );
}

const WorkloadRow = memo(function WorkloadRow({ data, node, reachedBy, reaches, isSelected, onSelect }: { data: GraphData; node: GNode; reachedBy: number; reaches: number; isSelected: boolean; onSelect(i: number): void }) {
  return (
    <tr aria-selected={isSelected}>
      <th scope="row">
        <button type="button" className="link" onClick={() => onSelect(node.index)}>
          {node.id}
        </button>
      </th>
      <td>{node.external ? "" : node.pods}</td>
      <td>{reachedBy}</td>
      <td>{reaches}</td>
      <td>
        <Marks data={data} node={node} />
      </td>
    </tr>
  );
});

function Marks({ data, node }: { data: GraphData; node: GNode }) {
  if (node.external) return <span className="mark">external</span>;
  return (
    <>
      {isWideOpen(node) && <span className="mark open">wide open</span>}
      {isIsolated(data, node) && <span className="mark isolated">isolated</span>}
      {!node.isolatedForEgress && <span className="mark">egress unrestricted</span>}
    </>
  );
}

// Memoised: its props do not change with the selection.
const EdgeTable = memo(function EdgeTable({ data, edges, limit }: { data: GraphData; edges: readonly GEdge[]; limit: number }) {
  return (
    <>
      <table data-testid="edge-table">
        <thead>
          <tr>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col">Allowed connections</th>
          </tr>
        </thead>
        <tbody>
          {edges.slice(0, limit).map((e) => (
            <tr key={`${e.src}>${e.dst}`}>
              <td>{data.nodes[e.src]!.id}</td>
              <td>{data.nodes[e.dst]!.id}</td>
              <td>{e.conn}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {edges.length > limit && <p className="hint">{edges.length - limit} more connections (narrow the filters, or use the matrix export).</p>}
    </>
  );
});

function Selected({ data, node, port, onSelect, onWhy }: { data: GraphData; node: GNode; port: ReturnType<typeof parsePortFilter>; onSelect(i: number): void; onWhy: Props["onWhy"] }) {
  const keep = (e: GEdge) => !port || connAllows(e.conn, port);
  const incoming = data.incoming[node.index]!.map((i) => data.edges[i]!).filter(keep);
  const outgoing = data.outgoing[node.index]!.map((i) => data.edges[i]!).filter(keep);
  const list = (edges: GEdge[], dir: "in" | "out", testid: string) =>
    edges.length === 0 ? (
      <p className="hint" data-testid={testid}>
        none{port ? ` on port ${port.port}` : ""}
      </p>
    ) : (
      // Keyed by the selection: another workload starts with the short list again.
      <PeerList key={`${dir}${node.index}`} data={data} node={node} edges={edges} dir={dir} testid={testid} onSelect={onSelect} onWhy={onWhy} />
    );
  return (
    <div data-testid="selected">
      <h2 data-testid="selected-name">{node.id}</h2>
      <p>
        <Marks data={data} node={node} />
      </p>
      {!node.external && (
        <dl className="facts">
          <dt>Pods</dt>
          <dd>{node.pods}</dd>
          <dt>Labels</dt>
          <dd>{Object.entries(node.labels).map(([k, v]) => `${k}=${v}`).join(", ") || "none"}</dd>
        </dl>
      )}
      <h3>
        Who can reach it <span className="count">({incoming.length})</span>
      </h3>
      {list(incoming, "in", "reached-by")}
      <h3>
        What it can reach <span className="count">({outgoing.length})</span>
      </h3>
      {list(outgoing, "out", "reaches")}
    </div>
  );
}

/** One direction's peers: the first PEER_ROWS, and a button for the rest (thousands of rows would make every selection slow). */
function PeerList({ data, node, edges, dir, testid, onSelect, onWhy }: { data: GraphData; node: GNode; edges: GEdge[]; dir: "in" | "out"; testid: string; onSelect(i: number): void; onWhy: Props["onWhy"] }) {
  const [all, setAll] = useState(false);
  const shown = all ? edges : edges.slice(0, PEER_ROWS);
  return (
    <>
      <ul className="peers" data-testid={testid}>
        {shown.map((e) => {
          const peer = data.nodes[dir === "in" ? e.src : e.dst]!;
          return (
            <li key={peer.index}>
              <button type="button" className="link" onClick={() => onSelect(peer.index)}>
                {peer.id}
              </button>{" "}
              <span className="conn">{e.conn}</span>{" "}
              <button type="button" className="why" onClick={() => (dir === "in" ? onWhy(peer, node, e.conn) : onWhy(node, peer, e.conn))} aria-label={`Why can ${dir === "in" ? peer.id : node.id} reach ${dir === "in" ? node.id : peer.id}?`}>
                why?
              </button>
            </li>
          );
        })}
      </ul>
      {shown.length < edges.length && (
        <button type="button" onClick={() => setAll(true)} data-testid={`${testid}-all`}>
          Show all {edges.length}
        </button>
      )}
    </>
  );
}
