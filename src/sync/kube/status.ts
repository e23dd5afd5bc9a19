/** The HTTP status of an error from @kubernetes/client-node (ApiException.code) or a watch (statusCode). */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { statusCode?: unknown; code?: unknown };
  return typeof e.statusCode === "number" ? e.statusCode : typeof e.code === "number" ? e.code : undefined;
}
