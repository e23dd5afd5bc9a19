/**
 * The view's only way to the server: GraphQL POSTs to /graphql (JSON, as Apollo's CSRF prevention
 * wants) and graphql-ws subscriptions on the same path, with the token as bearer header and as the
 * WebSocket's connection parameter. The token lives in sessionStorage (gone with the tab).
 */
import { createClient, type Client } from "graphql-ws/client";

const KEY = "kubereach.ui.token";

export function storedToken(): string {
  try {
    return window.sessionStorage.getItem(KEY) ?? "";
  } catch {
    return "";
  }
}

export function storeToken(token: string): void {
  try {
    if (token) window.sessionStorage.setItem(KEY, token);
    else window.sessionStorage.removeItem(KEY);
  } catch {
    // storage disabled: the token lives in this page only
  }
}

/** A GraphQL error as the server sends it (message, code). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class Api {
  private ws: Client | undefined;

  constructor(readonly token: string) {}

  async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
    } catch (e) {
      throw new ApiError(`the server cannot be reached (${(e as Error).message})`, "UNREACHABLE", 0);
    }
    let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[]; error?: { message: string; code: string } };
    try {
      body = await res.json();
    } catch {
      throw new ApiError(`the server answered ${res.status} without JSON`, "BAD_RESPONSE", res.status);
    }
    if (res.status === 401 || body.error?.code === "UNAUTHENTICATED")
      throw new ApiError(body.error?.message ?? "this token is not accepted: paste a valid API token", "UNAUTHENTICATED", 401);
    const first = body.errors?.[0];
    if (first) throw new ApiError(first.message, first.extensions?.code ?? "ERROR", res.status);
    if (body.error) throw new ApiError(body.error.message, body.error.code, res.status);
    if (!body.data) throw new ApiError(`the server answered ${res.status} without data`, "BAD_RESPONSE", res.status);
    return body.data;
  }

  /** Subscribes; returns the function that ends the subscription. */
  subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void, onError: (e: ApiError) => void): () => void {
    this.ws ??= createClient({
      url: `${window.location.protocol === "https:" ? "wss:" : "ws:"}//${window.location.host}/graphql`,
      connectionParams: this.token ? { authorization: `Bearer ${this.token}` } : {},
      lazy: true,
      retryAttempts: 20,
      shouldRetry: () => true,
    });
    return this.ws.subscribe<T>(
      { query, variables },
      {
        next: (r) => {
          if (r.errors?.length) onError(new ApiError(r.errors[0]!.message, String(r.errors[0]!.extensions?.["code"] ?? "ERROR"), 200));
          else if (r.data) onData(r.data as T);
        },
        error: (e) => onError(new ApiError(Array.isArray(e) ? String(e[0]?.message) : e instanceof Error ? e.message : "the subscription closed", "SUBSCRIPTION", 0)),
        complete: () => undefined,
      },
    );
  }

  close(): void {
    void this.ws?.dispose();
  }
}
