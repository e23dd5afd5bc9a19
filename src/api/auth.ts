/**
 * Bearer tokens from configuration, stored only as sha256 hashes. A token may be scoped to
 * namespaces. With no tokens configured, authentication is off and the server listens on
 * localhost only (enforced where it binds).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { UnauthenticatedError } from "../domain/errors.js";
import type { Config } from "../domain/config.js";
import { FULL_SCOPE, type Scope } from "../domain/scope.js";

type TokenConfig = Config["server"]["tokens"][number];

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export class TokenAuthenticator {
  private readonly tokens: readonly { name: string; hash: Buffer; namespaces?: readonly string[] }[];

  constructor(tokens: readonly TokenConfig[]) {
    this.tokens = tokens.map((t) => ({ name: t.name, hash: Buffer.from(t.sha256, "hex"), namespaces: t.namespaces }));
  }

  get enabled(): boolean {
    return this.tokens.length > 0;
  }

  /** The scope of the request's `Authorization: Bearer <token>`; throws when tokens are required and it is missing or unknown. */
  authenticate(authorization: string | undefined | null): Scope {
    if (!this.enabled) return FULL_SCOPE;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!m) throw new UnauthenticatedError("missing bearer token: send Authorization: Bearer <token>");
    const presented = Buffer.from(hashToken(m[1]!), "hex");
    // Compare against every token in constant time, so timing does not reveal which one nearly matched.
    let match: (typeof this.tokens)[number] | undefined;
    for (const t of this.tokens) if (timingSafeEqual(t.hash, presented)) match ??= t;
    if (!match) throw new UnauthenticatedError("unknown bearer token");
    return match.namespaces ? { all: false, principal: match.name, namespaces: new Set(match.namespaces) } : { all: true, principal: match.name };
  }
}
