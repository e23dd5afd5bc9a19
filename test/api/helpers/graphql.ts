/**
 * GraphQL clients for API tests: graphql-request over HTTP (JSON POSTs, as Apollo's CSRF
 * prevention requires) and graphql-ws over WebSocket for subscriptions. `gql` never throws on a
 * GraphQL or HTTP error: it returns status, data, errors and the raw body, so tests can assert on
 * exactly what a client receives.
 */
import { createClient, type Client } from "graphql-ws";
import { ClientError, GraphQLClient } from "graphql-request";
import WebSocket from "ws";
import type { ApiEvents } from "../../../src/api/events.js";

export interface GqlError {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly locations?: readonly { line: number; column: number }[];
  readonly extensions?: Record<string, unknown>;
}

export interface GqlResult<T> {
  readonly status: number;
  readonly data: T | null | undefined;
  readonly errors: readonly GqlError[];
  /** The response body as received (for "nothing internal leaks" assertions). */
  readonly body: string;
}

export function httpClient(url: string, token?: string): GraphQLClient {
  return new GraphQLClient(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, errorPolicy: "all" });
}

/** Runs one operation; GraphQL errors and HTTP errors are returned, not thrown. */
export async function gql<T = Record<string, unknown>>(client: GraphQLClient, query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>> {
  try {
    const r = await client.rawRequest<T>(query, variables);
    const raw = r as unknown as { status: number; body?: string; errors?: GqlError[] };
    return { status: raw.status, data: r.data, errors: raw.errors ?? [], body: raw.body ?? JSON.stringify({ data: r.data, errors: raw.errors }) };
  } catch (err) {
    if (!(err instanceof ClientError)) throw err;
    const res = err.response as unknown as { status: number; body?: string; errors?: GqlError[]; data?: T };
    return { status: res.status, data: res.data, errors: res.errors ?? [], body: res.body ?? "" };
  }
}

/** Runs one operation that must succeed, and returns its data. */
export async function ok<T = Record<string, unknown>>(client: GraphQLClient, query: string, variables?: Record<string, unknown>): Promise<T> {
  const r = await gql<T>(client, query, variables);
  if (r.status !== 200 || r.errors.length > 0 || !r.data) throw new Error(`expected a successful GraphQL response, got ${r.status}: ${r.body}`);
  return r.data;
}

/** The one error of a failed operation (asserting there is exactly one). */
export async function oneError(client: GraphQLClient, query: string, variables?: Record<string, unknown>): Promise<GqlError & { status: number; body: string }> {
  const r = await gql(client, query, variables);
  if (r.errors.length !== 1) throw new Error(`expected exactly one error, got ${r.status}: ${r.body}`);
  return { ...r.errors[0]!, status: r.status, body: r.body };
}

/** A raw HTTP POST (for what a GraphQL client would never send: bad content types, huge bodies, arrays). */
export async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; json: unknown }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, body: text, json };
}

// --- subscriptions ---------------------------------------------------------------------------

export function wsClient(url: string, token?: string): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** What a subscription received: results in order, then an error or completion. */
export class Subscription<T> {
  readonly results: { data?: T | null; errors?: readonly GqlError[] }[] = [];
  error: unknown;
  completed = false;
  private readonly dispose: () => void;

  constructor(client: Client, query: string, variables?: Record<string, unknown>) {
    this.dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (r) => void this.results.push({ data: r.data as T | null | undefined, errors: r.errors as readonly GqlError[] | undefined }),
        error: (e) => {
          this.error = e;
        },
        complete: () => {
          this.completed = true;
        },
      },
    );
  }

  get data(): T[] {
    return this.results.flatMap((r) => (r.data ? [r.data] : []));
  }

  get ended(): boolean {
    return this.completed || this.error !== undefined;
  }

  async waitFor(predicate: (s: this) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => predicate(this), what, timeoutMs);
  }

  close(): void {
    this.dispose();
  }
}

/** How many subscriptions listen for an event (they must be listening before a change is made). */
export function listeners(events: ApiEvents, event: "generation" | "revisions"): number {
  return (events as unknown as { emitter: { listenerCount(e: string): number } }).emitter.listenerCount(event);
}

export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
