/**
 * `kubereach serve` replicas as real processes, and what the tests ask them over real HTTP:
 * readiness, GraphQL (whoCanReach, matrix), Prometheus metrics, and which one holds the sync lease.
 */
import type { TestDatabase } from "./database.js";
import { KubereachProcess, eventually } from "./process.js";

export interface Replica {
  readonly process: KubereachProcess;
  readonly url: string;
  readonly name: string;
}

/** Starts `kubereach serve ...` on a port of the system's choice (PORT=0; the flag wants 1-65535) and waits for the port it logs. */
export async function startReplica(name: string, args: readonly string[], timeoutMs = 90_000): Promise<Replica> {
  const process = KubereachProcess.start(name, ["serve", ...args, "--log-level", "info"], { PORT: "0" });
  const line = await process.waitForLog((l) => typeof l.msg === "string" && l.msg.startsWith("API listening"), "API listening", timeoutMs);
  return { process, name, url: `http://127.0.0.1:${String(line["port"])}` };
}

export async function readyz(r: Replica, timeoutMs = 5_000): Promise<number | "refused"> {
  try {
    const res = await fetch(`${r.url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return "refused";
  }
}

export async function waitReady(r: Replica, timeoutMs = 90_000): Promise<void> {
  await eventually(async () => {
    if (r.process.hasExited) throw new Error(`${r.name} exited\n${r.process.output()}`);
    return (await readyz(r)) === 200;
  }, `${r.name} to be ready`, timeoutMs, 100).catch((err: Error) => {
    throw new Error(`${err.message}\n${r.process.output()}`);
  });
}

export async function gql<T>(r: Replica, query: string, variables: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<T> {
  const res = await fetch(`${r.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL ${res.status}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** A sample of a Prometheus metric (first match of `name{labels}`), or 0 when absent. */
export async function metric(r: Replica, name: string, labels = ""): Promise<number> {
  const res = await fetch(`${r.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ""} `));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

export interface LeaseRow {
  readonly holder: string;
  readonly epoch: string;
  readonly expires_at: Date;
  readonly expired: boolean;
}

export async function lease(db: TestDatabase, cluster: string): Promise<LeaseRow | undefined> {
  const [row] = await db.sql<LeaseRow & Record<string, unknown>>("SELECT holder, epoch::text AS epoch, expires_at, expires_at <= now() AS expired FROM sync_leases WHERE cluster_id = $1", [cluster]);
  return row;
}

/** Whether the lease is held by that process (holder ids are `host/pid/random`). */
export function holds(l: LeaseRow | undefined, p: KubereachProcess): boolean {
  return !!l && l.holder.split("/")[1] === String(p.pid) && !l.expired;
}

export const WHO_CAN_REACH = `query($t: WorkloadRef!) { whoCanReach(target: $t) { generation peers { peer { display } connections { text } } } }`;
/** One page (300 rows keeps the query under the server's cost limit); the cursor pins the generation. */
export const MATRIX = `query($after: String) { matrix(first: 300, after: $after) { generation totalCount pageInfo { hasNextPage endCursor } edges { node { src { display } dst { display } connections { text } } } } }`;

export interface WhoCanReachAnswer {
  whoCanReach: { generation: number; peers: { peer: { display: string }; connections: { text: string } }[] };
}
export interface MatrixAnswer {
  matrix: { generation: number; totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: { src: { display: string }; dst: { display: string }; connections: { text: string } } }[] };
}

export const whoCanReachLines = (a: WhoCanReachAnswer) => a.whoCanReach.peers.map((p) => `${p.peer.display} : ${p.connections.text}`).sort();
/** The whole connectivity list of one generation, page by page. */
export async function readMatrix(r: Replica): Promise<{ generation: number; totalCount: number; lines: string[] }> {
  let page = await gql<MatrixAnswer>(r, MATRIX);
  const { generation, totalCount } = page.matrix;
  const lines = matrixLines(page);
  while (page.matrix.pageInfo.hasNextPage) {
    page = await gql<MatrixAnswer>(r, MATRIX, { after: page.matrix.pageInfo.endCursor });
    if (page.matrix.generation !== generation) throw new Error(`a cursor of generation ${generation} gave a page of generation ${page.matrix.generation}`);
    lines.push(...matrixLines(page));
  }
  return { generation, totalCount, lines: lines.sort() };
}

export const matrixLines = (a: MatrixAnswer) => a.matrix.edges.map((e) => `${e.node.src.display} => ${e.node.dst.display} : ${e.node.connections.text}`).sort();
