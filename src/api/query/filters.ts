/**
 * The per-request filters every query applies to cached, unfiltered answers: the caller's scope
 * (src/domain/scope.ts's canSeeConnection for rows, inScope for the object asked about) and the port filter.
 */
import { NotFoundError } from "../../domain/errors.js";
import { PROTOCOLS, type ConnectionSet, type Protocol } from "../../engine/index.js";
import { inScope, type Scope } from "../../domain/scope.js";

export interface PortFilter {
  readonly port?: number | null;
  readonly protocol?: Protocol | null;
}

/** Whether a connection admits the port (on the protocol, or any protocol when none is given). */
export function matchesPort(conn: ConnectionSet, f: PortFilter): boolean {
  if (f.port === undefined || f.port === null) return true;
  const protocols = f.protocol ? [f.protocol] : PROTOCOLS;
  return protocols.some((p) => conn.contains(f.port!, p));
}

/** Throws NOT_FOUND for a namespace outside the caller's scope. */
export function assertVisible(scope: Scope, namespace: string, what: string): void {
  // Outside the caller's namespaces looks exactly like "does not exist": existence does not leak.
  if (!inScope(scope, namespace)) throw new NotFoundError(`no ${what} visible to this token`);
}
