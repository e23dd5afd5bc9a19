/**
 * Kubernetes label selectors (metav1.LabelSelector): matchLabels and matchExpressions, ANDed.
 * Semantics follow apimachinery's labels.Requirement.Matches: NotIn and DoesNotExist match objects
 * that lack the key. Compilation validates once; matching cannot fail.
 */
import type { Labels } from "../model/input.js";
import type { Diagnostic } from "../diagnostics.js";

export const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: ReadonlySet<string>;
}

export class LabelSelector {
  static readonly EVERYTHING = new LabelSelector([]);

  /** Canonical text (sorted requirements): equal selectors have equal keys, whatever their spelling. */
  readonly key: string;

  constructor(readonly requirements: readonly Requirement[]) {
    this.key = requirements
      .map((r) => `${r.key} ${r.operator} (${[...r.values].sort().join(",")})`)
      .sort()
      .join(" && ");
  }

  get matchesEverything(): boolean {
    return this.requirements.length === 0;
  }

  matches(labels: Labels): boolean {
    for (const r of this.requirements) {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      switch (r.operator) {
        case "In":
          if (!has || !r.values.has(labels[r.key]!)) return false;
          break;
        case "NotIn":
          if (has && r.values.has(labels[r.key]!)) return false;
          break;
        case "Exists":
          if (!has) return false;
          break;
        case "DoesNotExist":
          if (has) return false;
          break;
      }
    }
    return true;
  }

  /** `app=web,tier in (a,b),!debug` in kubectl's notation, for explanations. */
  toString(): string {
    if (this.matchesEverything) return "{} (everything)";
    return this.requirements
      .map((r) => {
        const vals = [...r.values].sort();
        switch (r.operator) {
          case "In":
            return vals.length === 1 ? `${r.key}=${vals[0]}` : `${r.key} in (${vals.join(",")})`;
          case "NotIn":
            return `${r.key} notin (${vals.join(",")})`;
          case "Exists":
            return r.key;
          case "DoesNotExist":
            return `!${r.key}`;
        }
        return "";
      })
      .join(",");
  }
}

const NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function isValidLabelKey(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash < 0) return NAME_RE.test(key);
  const prefix = key.slice(0, slash);
  return prefix.length <= 253 && DNS_SUBDOMAIN_RE.test(prefix) && NAME_RE.test(key.slice(slash + 1));
}

export function isValidLabelValue(value: string): boolean {
  return value === "" || NAME_RE.test(value);
}

export interface SelectorContext {
  readonly object: string;
  readonly origin?: string;
  readonly diagnostics: Diagnostic[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Compiles a raw selector found at `field`. Returns undefined (and records an error) when
 * Kubernetes would reject it; a missing or null selector is the caller's business.
 */
export function compileLabelSelector(raw: unknown, field: string, ctx: SelectorContext): LabelSelector | undefined {
  const fail = (at: string, message: string): undefined => {
    ctx.diagnostics.push({ severity: "error", code: "INVALID_SELECTOR", object: ctx.object, field: at, message, origin: ctx.origin });
    return undefined;
  };
  if (!isRecord(raw)) return fail(field, "a label selector must be an object with matchLabels and/or matchExpressions");
  const requirements: Requirement[] = [];
  for (const k of Object.keys(raw)) {
    if (k !== "matchLabels" && k !== "matchExpressions") return fail(`${field}.${k}`, `unknown field "${k}" in a label selector`);
  }
  const matchLabels = raw["matchLabels"];
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isRecord(matchLabels)) return fail(`${field}.matchLabels`, "matchLabels must be a map of label keys to values");
    for (const [k, v] of Object.entries(matchLabels)) {
      if (!isValidLabelKey(k)) return fail(`${field}.matchLabels`, `invalid label key ${JSON.stringify(k)}`);
      if (typeof v !== "string" || !isValidLabelValue(v))
        return fail(`${field}.matchLabels.${k}`, `invalid label value ${JSON.stringify(v)} (at most 63 characters: letters, digits, '-', '_', '.')`);
      requirements.push({ key: k, operator: "In", values: new Set([v]) });
    }
  }
  const exprs = raw["matchExpressions"];
  if (exprs !== undefined && exprs !== null) {
    if (!Array.isArray(exprs)) return fail(`${field}.matchExpressions`, "matchExpressions must be a list");
    for (const [i, e] of exprs.entries()) {
      const at = `${field}.matchExpressions[${i}]`;
      if (!isRecord(e)) return fail(at, "a requirement must be an object with key, operator and values");
      const { key, operator, values } = e;
      if (typeof key !== "string" || !isValidLabelKey(key)) return fail(`${at}.key`, `invalid label key ${JSON.stringify(key)}`);
      if (typeof operator !== "string" || !(SELECTOR_OPERATORS as readonly string[]).includes(operator))
        return fail(`${at}.operator`, `invalid operator ${JSON.stringify(operator)}: must be one of ${SELECTOR_OPERATORS.join(", ")}`);
      const op = operator as SelectorOperator;
      if (values !== undefined && values !== null && !Array.isArray(values)) return fail(`${at}.values`, "values must be a list of strings");
      const vals = (values ?? []) as unknown[];
      if (op === "In" || op === "NotIn") {
        if (vals.length === 0) return fail(`${at}.values`, `operator ${op} needs at least one value`);
      } else if (vals.length > 0) return fail(`${at}.values`, `operator ${op} must not have values`);
      for (const [j, v] of vals.entries()) {
        if (typeof v !== "string" || !isValidLabelValue(v)) return fail(`${at}.values[${j}]`, `invalid label value ${JSON.stringify(v)}`);
      }
      requirements.push({ key, operator: op, values: new Set(vals as string[]) });
    }
  }
  return requirements.length === 0 ? LabelSelector.EVERYTHING : new LabelSelector(requirements);
}
