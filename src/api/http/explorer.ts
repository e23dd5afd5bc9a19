/**
 * GET /explorer: GraphiQL, served entirely by this server (no CDN: it works on an air-gapped
 * network). The page loads React, ReactDOM and GraphiQL from /explorer/assets/..., files of the
 * installed npm packages (graphiql 3, react and react-dom 18 UMD builds), found through each
 * package's package.json because the files are not in the packages' `exports`.
 *
 * Queries are POSTed to /graphql as application/json (Apollo's CSRF prevention stays on);
 * subscriptions use graphql-ws on the same path. A bearer token can be pasted into the page: it
 * is kept in sessionStorage only (gone when the tab closes), sent as the Authorization header and
 * as the WebSocket's connection parameter, never put in the URL or in GraphiQL's persisted state.
 * A Content-Security-Policy lets the page load and connect to this origin only.
 *
 * With introspection off (kubereach's default) the page does not ask for the schema (GraphiQL would,
 * and show Apollo's refusal, which names an Apollo option rather than kubereach's setting): it opens
 * clean and says how to turn the schema docs on. The favicon is inline, so a load makes no failed request.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Express, Request, Response } from "express";

const require = createRequire(import.meta.url);

/** Asset name -> [package, file inside the package]. */
const VENDOR: Readonly<Record<string, readonly [string, string]>> = {
  "react.production.min.js": ["react", "umd/react.production.min.js"],
  "react-dom.production.min.js": ["react-dom", "umd/react-dom.production.min.js"],
  "graphiql.min.js": ["graphiql", "graphiql.min.js"],
  "graphiql.min.css": ["graphiql", "graphiql.min.css"],
};

export const EXPLORER_ASSETS = [...Object.keys(VENDOR), "explorer.js", "explorer.css"] as const;

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // GraphiQL and CodeMirror set style attributes; its fonts are data: URLs inside its CSS.
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Where each vendor file is, or the reason the explorer cannot be served. */
export function resolveVendorAssets(): { files: Map<string, string> } | { missing: string } {
  const files = new Map<string, string>();
  for (const [asset, [pkg, file]] of Object.entries(VENDOR)) {
    let dir: string;
    try {
      dir = dirname(require.resolve(`${pkg}/package.json`));
    } catch {
      return { missing: `the npm package ${pkg} is not installed` };
    }
    const path = join(dir, file);
    if (!existsSync(path)) return { missing: `${pkg} has no ${file} (an unexpected version?)` };
    files.set(asset, path);
  }
  return { files };
}

export interface ExplorerOptions {
  /** server.introspection: GraphiQL fetches the schema (docs, completion) only when it is on. */
  readonly introspection: boolean;
}

export const SCHEMA_DOCS_OFF =
  "Schema docs and completion are off because the server runs with introspection off. Turn them on with KUBEREACH_INTROSPECTION=true, or server.introspection: true in the config file; the schema is schema.graphql in the repository.";

export function registerExplorer(app: Express, options: ExplorerOptions = { introspection: false }): void {
  const vendor = resolveVendorAssets();
  const pageHeaders = (res: Response) => {
    res.setHeader("content-security-policy", CSP);
    res.setHeader("x-frame-options", "DENY");
    res.setHeader("cache-control", "no-store");
  };
  if ("missing" in vendor) {
    app.get("/explorer", (_req: Request, res: Response) => {
      pageHeaders(res);
      res.status(503).type("text/plain").send(`The GraphQL explorer is disabled: ${vendor.missing}. GraphQL itself is served at /graphql.\n`);
    });
    return;
  }
  app.get("/explorer", (_req: Request, res: Response) => {
    pageHeaders(res);
    res.type("html").send(page(options.introspection));
  });
  app.get("/explorer/assets/:file", (req: Request, res: Response) => {
    const file = String(req.params["file"]);
    res.setHeader("cache-control", "no-cache");
    if (file === "explorer.js") return void res.type("application/javascript").send(BOOTSTRAP);
    if (file === "explorer.css") return void res.type("text/css").send(STYLE);
    const path = vendor.files.get(file);
    if (!path) return void res.status(404).json({ error: { code: "NOT_FOUND", message: `no explorer asset ${JSON.stringify(file)}` } });
    res.sendFile(path, { dotfiles: "deny" });
  });
}

const page = (introspection: boolean) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>kubereach GraphQL explorer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/explorer/assets/graphiql.min.css">
<link rel="stylesheet" href="/explorer/assets/explorer.css">
</head>
<body>
<form id="token-bar" autocomplete="off">
<strong>kubereach</strong>
<label for="token">API token</label>
<input id="token" type="password" autocomplete="off" spellcheck="false" placeholder="paste a bearer token (kept in this tab only)">
<button type="submit">Use token</button>
<button type="button" id="forget">Forget</button>
<span id="token-state" role="status"></span>
</form>
${introspection ? "" : `<p id="schema-note" role="note">${SCHEMA_DOCS_OFF}</p>`}
<div id="graphiql" data-introspection="${introspection}"><p class="loading">Loading the explorer&hellip;</p></div>
<noscript>The explorer needs JavaScript. GraphQL itself is served at /graphql.</noscript>
<script src="/explorer/assets/react.production.min.js"></script>
<script src="/explorer/assets/react-dom.production.min.js"></script>
<script src="/explorer/assets/graphiql.min.js"></script>
<script src="/explorer/assets/explorer.js"></script>
</body>
</html>
`;

const STYLE = `html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
#token-bar { display: flex; gap: 0.5rem; align-items: center; padding: 0.4rem 0.75rem; border-bottom: 1px solid #ddd; font-size: 0.85rem; }
#token-bar input { flex: 0 1 28rem; font: inherit; padding: 0.2rem 0.4rem; }
#token-state { color: #555; }
#schema-note { margin: 0; padding: 0.3rem 0.75rem; font-size: 0.8rem; background: #fff8e1; border-bottom: 1px solid #eee; }
#graphiql { flex: 1; min-height: 0; }
.loading { padding: 1rem; }
`;

const BOOTSTRAP = `(function () {
  "use strict";
  var KEY = "kubereach.explorer.token";
  var input = document.getElementById("token");
  var state = document.getElementById("token-state");
  function token() {
    try { return window.sessionStorage.getItem(KEY) || ""; } catch (e) { return ""; }
  }
  function setToken(value) {
    try {
      if (value) window.sessionStorage.setItem(KEY, value); else window.sessionStorage.removeItem(KEY);
    } catch (e) { /* storage disabled: the token lives in this page only */ }
  }
  function wsUrl() {
    return (window.location.protocol === "https:" ? "wss:" : "ws:") + "//" + window.location.host + "/graphql";
  }
  function fetcher() {
    var t = token();
    var auth = t ? { authorization: "Bearer " + t } : {};
    return GraphiQL.createFetcher({ url: "/graphql", headers: auth, subscriptionUrl: wsUrl(), wsConnectionParams: auth });
  }
  var host = document.getElementById("graphiql");
  // With introspection off, schema: null keeps GraphiQL from asking for the schema (and failing).
  var introspection = host.getAttribute("data-introspection") === "true";
  var root = ReactDOM.createRoot(host);
  function render() {
    state.textContent = token() ? "token set for this tab" : "no token (enough when the server runs without tokens)";
    var props = {
      fetcher: fetcher(),
      isHeadersEditorEnabled: false,
      shouldPersistHeaders: false,
      defaultQuery: "# kubereach: who can talk to what. Run this query with the play button.\\n{\\n  syncStatus { cluster ready generation lagSeconds errors }\\n}\\n"
    };
    if (!introspection) props.schema = null;
    root.render(React.createElement(GraphiQL, props));
  }
  document.getElementById("token-bar").addEventListener("submit", function (event) {
    event.preventDefault();
    setToken(input.value.trim());
    input.value = "";
    render();
  });
  document.getElementById("forget").addEventListener("click", function () {
    setToken("");
    render();
  });
  render();
})();
`;
