/**
 * What went wrong with a list or watch, from the error shapes @kubernetes/client-node 1.4.0 produces
 * (STACK.md section 5): a list failure is an `ApiException` (`code` = HTTP status, `body` = Status
 * JSON text); a watch non-200 is an `Error(statusText)` with `statusCode`; a network problem is a
 * node-fetch `FetchError` or a stream error with a string `code` (ECONNREFUSED,
 * ERR_STREAM_PREMATURE_CLOSE...); an aborted request is an `AbortError`. Pure.
 */
export type FailureClass =
  /** Our own abort (stop, or a list that ran into its timeout). */
  | "aborted"
  /** 5xx, including 504 "Too large resource version": the server cannot serve our resourceVersion or is unwell. */
  | "server"
  /** 410 Gone outside the informer's own handling. */
  | "expired"
  /** Other 4xx: 401/403 (credentials, RBAC), 404 (API not served), 429 (throttled). */
  | "client"
  /** No HTTP status: connection refused or reset, premature close, DNS, TLS. */
  | "network";

export interface Failure {
  readonly class: FailureClass;
  readonly status: number | undefined;
  /** One line for logs and status(). */
  readonly message: string;
  /** Whether a restart from the last resourceVersion is pointless and the informer must list afresh. */
  readonly relist: boolean;
}

export function classifyFailure(err: unknown, operation: "list" | "watch"): Failure {
  const e = (typeof err === "object" && err !== null ? err : {}) as Record<string, unknown>;
  const name = typeof e["name"] === "string" ? e["name"] : "";
  const rawMessage = err instanceof Error ? err.message : String(err);
  const status = typeof e["statusCode"] === "number" ? e["statusCode"] : typeof e["code"] === "number" ? e["code"] : undefined;

  if (status === undefined && (name === "AbortError" || name === "TimeoutError"))
    return { class: "aborted", status, message: `${operation} aborted: ${firstLine(rawMessage)}`, relist: false };
  if (status !== undefined) {
    const detail = statusMessage(e["body"]) ?? firstLine(rawMessage);
    const message = `${operation} failed: HTTP ${status}${detail ? ` ${detail}` : ""}`;
    if (status >= 500) return { class: "server", status, message, relist: true };
    if (status === 410) return { class: "expired", status, message, relist: true };
    return { class: "client", status, message, relist: false };
  }
  const code = typeof e["code"] === "string" ? `${e["code"]}: ` : "";
  return { class: "network", status, message: `${operation} failed: ${code}${firstLine(rawMessage)}`, relist: false };
}

/** The `message` of a Kubernetes Status body, if the body is one. */
function statusMessage(body: unknown): string | undefined {
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { reason, message } = parsed as { reason?: unknown; message?: unknown };
  const parts = [typeof reason === "string" ? reason : "", typeof message === "string" ? message : ""].filter(Boolean);
  return parts.length ? parts.join(": ") : undefined;
}

function firstLine(s: string): string {
  const line = s.split("\n", 1)[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}
