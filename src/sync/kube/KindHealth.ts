/**
 * What keeps one kind from being current, beside where its loop is (kindPhase.ts): the error of the
 * moment, the last failure (kept after recovery, for diagnosis), since when the kind has been blind,
 * the permission the API server refused, whether an optional kind is not served at all, and the
 * failures in a row (which decide when an informer is replaced). KindSupervisor reports these in
 * KindStatus; a list or watch that works clears what is current and keeps the history.
 */
import type { KindPermission } from "../source.js";

export class KindHealth {
  /** What currently keeps the kind from being current. */
  lastError: string | undefined;
  lastFailure: { readonly message: string; readonly at: Date } | undefined;
  /** Since the first failure not yet followed by an open watch: how long this kind has been blind. */
  unhealthySince: Date | undefined;
  /** The permission the API server refused (401/403) on the last attempt, if that is why the kind cannot be read. */
  forbidden: KindPermission | undefined;
  /** An optional kind (a CRD) the API server answered 404 for: not installed, which is normal. */
  notServed = false;
  consecutiveFailures = 0;

  /**
   * A list or watch worked: the kind is current again and its error is behind it (kept as
   * lastFailure). `notServed` is not touched: only a listing that works says the kind is served.
   */
  healthy(): void {
    this.lastError = undefined;
    this.forbidden = undefined;
    this.unhealthySince = undefined;
    this.consecutiveFailures = 0;
  }

  /** A failure that keeps the kind from being current. */
  failed(message: string): void {
    this.lastError = message;
    this.lastFailure = { message, at: new Date() };
    this.unhealthySince ??= new Date();
  }
}
