/**
 * The WebGL graph (sigma.js over a graphology graph). Workload nodes sit in their namespace's disc
 * (layout.ts); zoomed out (zoom.ts, or always, when asked) the view switches to one node
 * per namespace and one edge per pair of namespaces, labelled with the number of workload pairs.
 * Filters and selection are reducers over the graph built once per generation; a selection in the
 * workload view is drawn from a second graph with the same nodes and the selection's edges only
 * (see `focus`), refilled at each selection.
 */
import Graph from "graphology";
import { useEffect, useMemo, useRef } from "react";
import Sigma from "sigma";
import { EdgeArrowProgram } from "sigma/rendering";
import { HIDDEN_EDGE_TYPE, HiddenEdgeProgram } from "./hiddenEdges";
import type { Layout } from "./layout";
import { BIG_WORKLOAD_RATIO, zoomedOut } from "./zoom";
import { isIsolated, isWideOpen, namespaceColor, type GraphData } from "./model";

export type Grouping = "auto" | "namespaces" | "workloads";

export interface GraphView {
  /** Per node / edge index: 1 when the filters let it through. */
  readonly nodeVisible: Uint8Array;
  readonly edgeVisible: Uint8Array;
  readonly selected: number | null;
  readonly grouping: Grouping;
}

interface Props {
  readonly data: GraphData;
  readonly layout: Layout;
  readonly view: GraphView;
  onSelect(index: number | null): void;
  /** Called once the first frame with this data is drawn. */
  onDrawn?(info: { aggregated: boolean }): void;
}

const COLORS = { isolated: "#a8a8a8", open: "#d62728", external: "#444444", dim: "#e4e4e4", incoming: "#1f77b4", outgoing: "#ff7f0e", edge: "#b9c2cc", selected: "#111111" };
/** Camera ratio beyond which "auto" shows namespaces (1 = the whole graph fits). */

export function GraphCanvas({ data, layout, view, onSelect, onDrawn }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const sigmaRef = useRef<Sigma | null>(null);
  const viewRef = useRef(view);
  const aggregatedRef = useRef(false);
  const selectRef = useRef(onSelect);
  /** The camera of the graph drawn before: a new generation is redrawn where the user was looking. */
  const lastCamera = useRef<{ x: number; y: number; ratio: number; angle: number } | null>(null);
  /** The graph to draw for a view (the whole graph, or the selection's: see `focus`), and a full redraw with it. */
  const graphForRef = useRef<((v: GraphView) => Graph) | null>(null);
  const redrawRef = useRef<(() => void) | null>(null);
  selectRef.current = onSelect;
  viewRef.current = view;
  // The selection's peers, once per selection: the node reducer reads it for every node it re-processes.
  const peers = useMemo(() => peerMask(data, view.selected), [data, view.selected]);
  const peersRef = useRef(peers);
  peersRef.current = peers;

  useEffect(() => {
    const el = container.current!;
    const g = new Graph({ type: "directed", multi: false, allowSelfLoops: false });
    const workloads = data.nodes.filter((n) => !n.external).length;
    for (const n of data.nodes) {
      const color = n.external ? COLORS.external : isIsolated(data, n) ? COLORS.isolated : isWideOpen(n) ? COLORS.open : namespaceColor(n.namespace);
      g.addNode(String(n.index), { x: layout.x[n.index], y: layout.y[n.index], size: n.external ? 5 : 4, color, label: n.external ? n.name : n.name, kind: "node" });
    }
    data.edges.forEach((e, i) => {
      if (e.src !== e.dst) g.addEdgeWithKey(`e${i}`, String(e.src), String(e.dst), { size: 1, color: COLORS.edge, index: i });
    });
    // Namespace level: a node per group, an edge per pair of groups with the number of workload pairs.
    const groupOf = new Int32Array(data.nodes.length);
    layout.groups.forEach((grp, gi) => {
      for (const m of grp.members) groupOf[m] = gi;
      g.addNode(`ns${gi}`, { x: grp.x, y: grp.y, size: 6 + 2 * Math.sqrt(grp.members.length), color: grp.namespace ? namespaceColor(grp.namespace) : COLORS.external, label: `${grp.name} (${grp.members.length})`, kind: "group", group: gi });
      // The namespace's name above its disc, in the workload view.
      g.addNode(`label${gi}`, { x: grp.x, y: grp.y + grp.radius + 6, size: 0.5, color: "#ffffff", label: grp.name, kind: "label", forceLabel: true });
    });
    const pairs = new Map<string, number>();
    for (const e of data.edges) {
      const a = groupOf[e.src]!;
      const b = groupOf[e.dst]!;
      if (a === b) continue;
      const k = `${a}>${b}`;
      pairs.set(k, (pairs.get(k) ?? 0) + 1);
    }
    for (const [k, count] of pairs) {
      const [a, b] = k.split(">");
      g.addEdgeWithKey(`g${k}`, `ns${a}`, `ns${b}`, { size: Math.min(6, 1 + Math.log2(count)), color: "#8a96a3", label: `${count}`, kind: "group", count });
    }

    // The graph drawn while a workload is selected in the workload view: every node, and only the
    // selection's edges. Sigma re-indexes every edge of its graph, hidden or not, whenever edges
    // change look, as they do at each selection: a few dozen edges instead of 32,000.
    const focus = g.emptyCopy();
    let focusOf: number | null = null;
    const graphFor = (v: GraphView): Graph => {
      if (v.selected === null || aggregatedRef.current) return g;
      if (focusOf !== v.selected) {
        focus.clearEdges();
        for (const i of [...data.incoming[v.selected]!, ...data.outgoing[v.selected]!]) {
          const key = `e${i}`;
          if (g.hasEdge(key) && !focus.hasEdge(key)) focus.addEdgeWithKey(key, g.source(key), g.target(key), g.getEdgeAttributes(key));
        }
        focusOf = v.selected;
      }
      return focus;
    };
    /** Everything re-processed, on the graph the view needs. */
    const redraw = () => {
      const want = graphFor(viewRef.current);
      if (sigma.getGraph() !== want) sigma.setGraph(want);
      else sigma.refresh();
    };
    graphForRef.current = graphFor;
    redrawRef.current = redraw;

    const aggregatedFor = (ratio: number) => {
      const v = viewRef.current;
      return v.grouping === "namespaces" || (v.grouping === "auto" && zoomedOut(ratio, workloads));
    };
    // Big graphs open on the namespace view, zoomed so that one step in shows workloads.
    aggregatedRef.current = aggregatedFor(lastCamera.current?.ratio ?? 1);

    const sigma = new Sigma(g, el, {
      defaultEdgeType: "arrow",
      edgeProgramClasses: { arrow: EdgeArrowProgram, [HIDDEN_EDGE_TYPE]: HiddenEdgeProgram },
      renderEdgeLabels: false,
      hideEdgesOnMove: data.edges.length > 5000,
      labelRenderedSizeThreshold: 7,
      labelDensity: 0.5,
      zIndex: true,
      // The graph tab may be hidden (another screen shown) when a new generation is drawn.
      allowInvalidContainer: true,
      minCameraRatio: 0.02,
      maxCameraRatio: 8,
      nodeReducer: (key, attrs) => {
        const v = viewRef.current;
        const agg = aggregatedRef.current;
        if (attrs["kind"] === "group") {
          const grp = layout.groups[attrs["group"] as number]!;
          return agg && grp.members.some((m) => v.nodeVisible[m]) ? attrs : { ...attrs, hidden: true };
        }
        if (attrs["kind"] === "label") return agg ? { ...attrs, hidden: true } : attrs;
        const i = Number(key);
        if (agg || !v.nodeVisible[i]) return { ...attrs, hidden: true };
        if (v.selected === null) return attrs;
        if (i === v.selected) return { ...attrs, size: 9, color: COLORS.selected, highlighted: true, forceLabel: true, zIndex: 2 };
        return peersRef.current[i] ? { ...attrs, forceLabel: true, zIndex: 1 } : { ...attrs, color: COLORS.dim, label: null, zIndex: 0 };
      },
      // A hidden edge goes to the program that draws nothing (hiddenEdges.ts). Edges get no zIndex:
      // with a selection only its edges are shown, and sorting 32,000 edges per selection costs time.
      edgeReducer: (_key, attrs) => {
        const v = viewRef.current;
        const agg = aggregatedRef.current;
        if (attrs["kind"] === "group") return agg ? attrs : { ...attrs, hidden: true, type: HIDDEN_EDGE_TYPE };
        const i = attrs["index"] as number;
        if (agg || !v.edgeVisible[i]) return { ...attrs, hidden: true, type: HIDDEN_EDGE_TYPE };
        if (v.selected === null) return attrs;
        const e = data.edges[i]!;
        if (e.dst === v.selected) return { ...attrs, color: COLORS.incoming, size: 2 };
        if (e.src === v.selected) return { ...attrs, color: COLORS.outgoing, size: 2 };
        // Only the selection's edges are drawn: clearer, and far fewer to draw on a software renderer.
        return { ...attrs, hidden: true, type: HIDDEN_EDGE_TYPE };
      },
    });
    sigmaRef.current = sigma;
    if (lastCamera.current) sigma.getCamera().setState(lastCamera.current);
    sigma.on("clickNode", ({ node }) => {
      const attrs = g.getNodeAttributes(node);
      if (attrs["kind"] === "group") {
        // Into the namespace: centre on it, close enough for its workloads.
        const d = sigma.getNodeDisplayData(node);
        if (d) void sigma.getCamera().animate({ x: d.x, y: d.y, ratio: 0.3 }, { duration: 300 });
      } else if (attrs["kind"] === "node") selectRef.current(Number(node));
    });
    sigma.on("clickStage", () => selectRef.current(null));
    sigma.getCamera().on("updated", (state) => {
      const agg = aggregatedFor(state.ratio);
      if (agg !== aggregatedRef.current) {
        aggregatedRef.current = agg;
        el.dataset["aggregated"] = String(agg);
        redraw();
      }
    });
    el.dataset["aggregated"] = String(aggregatedRef.current);
    el.dataset["nodes"] = String(data.nodes.length);
    el.dataset["edges"] = String(data.edges.length);
    sigma.once("afterRender", () => onDrawn?.({ aggregated: aggregatedRef.current }));
    redraw();
    // Shown again (tab switch) or resized: fit the canvas to its box.
    const resized = new ResizeObserver(() => {
      sigma.resize();
      sigma.refresh({ skipIndexation: true });
    });
    resized.observe(el);
    return () => {
      resized.disconnect();
      lastCamera.current = sigma.getCamera().getState();
      sigma.kill();
      sigmaRef.current = null;
      graphForRef.current = null;
      redrawRef.current = null;
    };
  }, [data, layout]);

  // Filters, selection and grouping: reducers, and the choice of graph. Going from one selection to
  // another re-processes the nodes and the edges of both selections only, not every edge (30,000 at
  // the scale aimed at).
  const previous = useRef<GraphView | null>(null);
  useEffect(() => {
    const sigma = sigmaRef.current;
    const graphFor = graphForRef.current;
    const redraw = redrawRef.current;
    if (!sigma || !graphFor || !redraw) return;
    const camera = sigma.getCamera();
    const v = view;
    const before = previous.current;
    previous.current = v;
    const wasAggregated = aggregatedRef.current;
    const agg = v.grouping === "namespaces" || (v.grouping === "auto" && v.selected === null && zoomedOut(camera.ratio, data.nodes.length));
    aggregatedRef.current = agg;
    container.current!.dataset["aggregated"] = String(agg);
    const onlySelection =
      before !== null && before.selected !== null && v.selected !== null && before.nodeVisible === v.nodeVisible && before.edgeVisible === v.edgeVisible && before.grouping === v.grouping && wasAggregated === agg;
    const shown = onlySelection ? graphFor(v) : null;
    if (shown && sigma.getGraph() === shown) {
      // Only the two selections and their peers change look; every other node stays dimmed.
      const nodes = new Set<string>();
      const edges: string[] = [];
      for (const s of [before!.selected!, v.selected!]) {
        nodes.add(String(s));
        for (const i of data.incoming[s]!) {
          const e = data.edges[i]!;
          nodes.add(String(e.src));
          if (e.src !== e.dst) edges.push(`e${i}`);
        }
        for (const i of data.outgoing[s]!) {
          const e = data.edges[i]!;
          nodes.add(String(e.dst));
          if (e.src !== e.dst) edges.push(`e${i}`);
        }
      }
      // The same graph before and after (the selection's, or the whole one in the namespace view); the
      // selection's graph gets the new selection's edges here. Not skipIndexation: edges move between
      // the drawn and the hidden programs, which re-indexes them.
      sigma.refresh({ partialGraph: { nodes: [...nodes], edges: edges.filter((k) => shown.hasEdge(k)) } });
    } else redraw();
    if (v.selected !== null && !agg) {
      // Bring the selection into view when it is outside, or when the namespace view was shown.
      const d = sigma.getNodeDisplayData(String(v.selected));
      const { width, height } = sigma.getDimensions();
      const at = d ? sigma.graphToViewport(d) : null;
      const outside = !at || at.x < 0 || at.y < 0 || at.x > width || at.y > height;
      if (d && (outside || wasAggregated)) camera.setState({ x: d.x, y: d.y, ratio: Math.min(camera.ratio, BIG_WORKLOAD_RATIO) });
    }
  }, [view, data]);

  const camera = (f: (c: ReturnType<Sigma["getCamera"]>) => Promise<void>) => () => {
    const c = sigmaRef.current?.getCamera();
    if (c) void f(c);
  };
  return (
    <>
      <div ref={container} className="graph-canvas" data-testid="graph-canvas" aria-hidden="true" />
      <div className="zoom" role="group" aria-label="Zoom">
        <button type="button" onClick={camera((c) => c.animatedZoom({ duration: 200 }))} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={camera((c) => c.animatedUnzoom({ duration: 200 }))} aria-label="Zoom out">
          &minus;
        </button>
        <button type="button" onClick={camera((c) => c.animatedReset({ duration: 200 }))} aria-label="Show the whole graph">
          fit
        </button>
      </div>
    </>
  );
}

/** 1 for each node that reaches the selection or that the selection reaches (none without a selection). */
function peerMask(data: GraphData, selected: number | null): Uint8Array {
  const mask = new Uint8Array(data.nodes.length);
  if (selected === null) return mask;
  for (const i of data.incoming[selected]!) mask[data.edges[i]!.src] = 1;
  for (const i of data.outgoing[selected]!) mask[data.edges[i]!.dst] = 1;
  return mask;
}
