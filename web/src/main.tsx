/**
 * The kubereach web view: a token bar, then five screens over the public GraphQL API (graph, why,
 * history, findings, what-if). The graph of the latest generation is redrawn when a new one is
 * committed (generationCommitted subscription), unless the time slider shows an earlier moment.
 */
import { StrictMode, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { createRoot } from "react-dom/client";
import { Api, storedToken, storeToken, type ApiError } from "./api";
import { FindingsPanel } from "./FindingsPanel";
import { GraphPanel } from "./GraphPanel";
import { HistoryPanel } from "./HistoryPanel";
import { firstPort, loadGraph, type GNode, type GraphData } from "./model";
import { PolicyView, type PolicyRef } from "./PolicyView";
import { WhatIfPanel, SAMPLE } from "./WhatIfPanel";
import { WhyPanel, type WhyQuestion } from "./WhyPanel";
import "./style.css";

const TABS = [
  ["graph", "Graph"],
  ["why", "Why"],
  ["history", "History"],
  ["findings", "Findings"],
  ["whatif", "What-if"],
] as const;
type Tab = (typeof TABS)[number][0];

function App() {
  const [token, setToken] = useState(storedToken());
  const api = useMemo(() => new Api(token), [token]);
  const [tab, setTab] = useState<Tab>("graph");
  const [data, setData] = useState<GraphData | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [at, setAt] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [question, setQuestion] = useState<WhyQuestion | null>(null);
  const [policy, setPolicy] = useState<PolicyRef | null>(null);
  const [whatIf, setWhatIf] = useState("");
  const [live, setLive] = useState<{ generation: number; at: string } | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const selectedId = useRef<string | null>(null);

  // Whether the server wants a token (asked once, so that no query is sent that can only fail).
  const [tokenRequired, setTokenRequired] = useState<boolean | null>(null);
  useEffect(() => {
    fetch("./config.json")
      .then((r) => r.json() as Promise<{ tokenRequired: boolean }>)
      .then((c) => setTokenRequired(c.tokenRequired))
      .catch(() => setTokenRequired(false));
  }, []);
  const ready = tokenRequired === false || (tokenRequired === true && token !== "");

  useEffect(() => () => api.close(), [api]);

  // The graph: loaded for the token and the moment shown, reloaded when a generation lands.
  useEffect(() => {
    if (!ready) return;
    let cancelled = false;
    setError(null);
    loadGraph(api, at)
      .then((g) => {
        if (cancelled) return;
        const keep = selectedId.current ? g.nodes.find((n) => n.id === selectedId.current) : undefined;
        setSelected(keep ? keep.index : null);
        setData(g);
      })
      .catch((e: ApiError) => {
        if (cancelled) return;
        setData(null);
        setError(e);
      });
    return () => {
      cancelled = true;
    };
  }, [api, at, refreshKey, ready]);

  // Live updates: a new generation redraws the live graph and refreshes history and findings.
  useEffect(() => {
    if (!ready) return;
    return api.subscribe<{ generationCommitted: { generation: number; computedAt: string } }>(
      `subscription { generationCommitted { cluster generation computedAt } }`,
      {},
      (d) => {
        setLive({ generation: d.generationCommitted.generation, at: d.generationCommitted.computedAt });
        setRefreshKey((k) => k + 1);
      },
      () => undefined,
    );
  }, [api, ready]);

  const select = useCallback(
    (i: number | null) => {
      setSelected(i);
      selectedId.current = i === null || !data ? null : data.nodes[i]!.id;
    },
    [data],
  );
  const why = (from: GNode, to: GNode, conn: string) => {
    const p = firstPort(conn);
    setQuestion({ from: from.id, to: to.id, port: String(p.port), protocol: p.protocol || "TCP" });
    setTab("why");
  };
  const selectId = (id: string) => {
    const n = data?.nodes.find((x) => x.id === id);
    if (n) {
      select(n.index);
      setTab("graph");
    }
  };
  const edit = (manifest: string) => {
    setWhatIf(manifest);
    setPolicy(null);
    setTab("whatif");
  };

  return (
    <>
      <header className="top">
        <h1>kubereach</h1>
        <TokenBar
          token={token}
          onToken={(t) => {
            storeToken(t);
            setToken(t);
            setSelected(null);
            selectedId.current = null;
          }}
        />
        <p className="status" role="status" data-testid="status">
          {data ? `cluster ${data.cluster}, generation ${data.generation}${at ? ` (as of ${new Date(at).toLocaleString()})` : live ? ", live" : ""}` : ""}
        </p>
      </header>
      <nav role="tablist" aria-label="Screens" className="tabs">
        {TABS.map(([id, label]) => (
          <button key={id} role="tab" type="button" aria-selected={tab === id} aria-controls={`panel-${id}`} id={`tab-${id}`} onClick={() => setTab(id)}>
            {label}
          </button>
        ))}
      </nav>
      {at && (
        <p className="banner" data-testid="time-travel">
          Showing the cluster as of {new Date(at).toLocaleString()}.{" "}
          <button type="button" onClick={() => setAt(null)}>
            Back to live
          </button>
        </p>
      )}
      {tokenRequired && !token && (
        <p className="banner" data-testid="need-token">
          This server needs an API token: paste one above. It is kept in this tab only and sent to this server only.
        </p>
      )}
      {error && (
        <p className="error" role="alert" data-testid="error">
          {error.code === "UNAUTHENTICATED" ? "This server needs an API token: paste one above." : error.message}
        </p>
      )}
      <main>
        {policy && ready && <PolicyView api={api} policy={policy} at={at} onClose={() => setPolicy(null)} onEdit={edit} />}
        <section role="tabpanel" id="panel-graph" aria-labelledby="tab-graph" hidden={tab !== "graph"}>
          {!ready ? null : data ? (
            <GraphPanel api={api} data={data} selected={selected} onSelect={select} onWhy={why} onDrawn={onDrawn} />
          ) : (
            !error && <p className="hint">Loading the graph&hellip;</p>
          )}
        </section>
        {tab === "why" && ready && (
          <section role="tabpanel" id="panel-why" aria-labelledby="tab-why">
            <WhyPanel api={api} data={data} question={question} at={at} onPolicy={setPolicy} />
          </section>
        )}
        {tab === "history" && ready && (
          <section role="tabpanel" id="panel-history" aria-labelledby="tab-history">
            <HistoryPanel api={api} refreshKey={refreshKey} at={at} onAt={setAt} onPolicy={setPolicy} />
          </section>
        )}
        {tab === "findings" && ready && (
          <section role="tabpanel" id="panel-findings" aria-labelledby="tab-findings">
            <FindingsPanel api={api} refreshKey={refreshKey} onPolicy={setPolicy} onWorkload={selectId} />
          </section>
        )}
        {tab === "whatif" && ready && (
          <section role="tabpanel" id="panel-whatif" aria-labelledby="tab-whatif">
            <WhatIfPanel api={api} initial={whatIf || SAMPLE.replace("NAMESPACE", data?.namespaces[0] ?? "default")} />
          </section>
        )}
      </main>
    </>
  );
}

/** Marks the first drawn frame of each graph (the benchmark and the browser tests read it). */
function onDrawn(info: { aggregated: boolean }) {
  const body = document.body.dataset;
  if (!body["firstDrawnMs"]) body["firstDrawnMs"] = String(Math.round(performance.now()));
  body["drawn"] = String(Number(body["drawn"] ?? 0) + 1);
  body["aggregated"] = String(info.aggregated);
}

function TokenBar({ token, onToken }: { token: string; onToken(t: string): void }) {
  const [value, setValue] = useState("");
  return (
    <form
      className="token-bar"
      autoComplete="off"
      onSubmit={(e) => {
        e.preventDefault();
        onToken(value.trim());
        setValue("");
      }}
    >
      <label htmlFor="token">API token</label>
      <input id="token" type="password" value={value} onChange={(e) => setValue(e.target.value)} spellCheck={false} placeholder="paste a bearer token (kept in this tab only)" data-testid="token" />
      <button type="submit">Use token</button>
      <button type="button" onClick={() => onToken("")}>
        Forget
      </button>
      <span className="token-state">{token ? "token set for this tab" : "no token"}</span>
    </form>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
