/** Small validators shared by the compile step, mirroring the API server's own checks. */
import type { Diagnostic, DiagnosticCode } from "../diagnostics.js";

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** IANA_SVC_NAME, as upstream IsValidPortName: 1-15 lowercase alphanumerics or '-', at least one letter, no '--', no '-' at either end. */
export function isValidPortName(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= 15 &&
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) &&
    !name.includes("--") &&
    /[a-z]/.test(name)
  );
}

export function isValidPortNumber(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Collects diagnostics for one object; `error` returns undefined so callers can `return ctx.error(...)`. */
export class ObjectContext {
  constructor(
    readonly object: string,
    readonly origin: string | undefined,
    readonly diagnostics: Diagnostic[],
  ) {}

  error(code: DiagnosticCode, field: string, message: string): undefined {
    this.diagnostics.push({ severity: "error", code, object: this.object, field, message, origin: this.origin });
    return undefined;
  }

  warning(code: DiagnosticCode, field: string, message: string): void {
    this.diagnostics.push({ severity: "warning", code, object: this.object, field, message, origin: this.origin });
  }

  /** Reports fields Kubernetes does not know (kubectl's strict validation rejects them too): a typo here changes meaning silently. */
  onlyKnownFields(value: Record<string, unknown>, field: string, known: readonly string[]): boolean {
    for (const k of Object.keys(value)) {
      if (!known.includes(k)) {
        this.error("INVALID_OBJECT", field ? `${field}.${k}` : k, `unknown field "${k}" (expected one of: ${known.join(", ")})`);
        return false;
      }
    }
    return true;
  }

  get errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === "error" && d.object === this.object).length;
  }
}
