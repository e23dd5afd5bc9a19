/**
 * kubectl's label selector notation (`app=web,tier in (a,b),!debug,env!=dev`) -> LabelSelector,
 * with apimachinery's meaning: `!=` and `notin` also match objects without the key.
 */
import { isValidLabelKey, isValidLabelValue, LabelSelector, type Requirement } from "./LabelSelector.js";

export type ParsedSelector = { readonly ok: true; readonly selector: LabelSelector } | { readonly ok: false; readonly message: string };

export function parseSelectorString(text: string): ParsedSelector {
  const requirements: Requirement[] = [];
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth < 0) return { ok: false, message: `unbalanced ")" in selector ${JSON.stringify(text)}` };
    if (ch === "," && depth === 0) {
      terms.push(current);
      current = "";
    } else current += ch;
  }
  if (depth !== 0) return { ok: false, message: `unbalanced "(" in selector ${JSON.stringify(text)}` };
  terms.push(current);
  for (const raw of terms) {
    const term = raw.trim();
    if (term === "") {
      if (terms.length === 1) break; // the empty selector selects everything
      return { ok: false, message: `empty requirement in selector ${JSON.stringify(text)}` };
    }
    const r = parseTerm(term);
    if (typeof r === "string") return { ok: false, message: `${r} in selector ${JSON.stringify(text)}` };
    requirements.push(r);
  }
  return { ok: true, selector: requirements.length ? new LabelSelector(requirements) : LabelSelector.EVERYTHING };
}

function parseTerm(term: string): Requirement | string {
  let m = /^(\S+?)\s+(in|notin)\s*\(([^()]*)\)$/.exec(term);
  if (m) {
    const values = m[3]!.split(",").map((v) => v.trim());
    if (values.some((v) => v === "")) return `empty value in ${JSON.stringify(term)}`;
    return check(m[1]!, m[2] === "in" ? "In" : "NotIn", values);
  }
  m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(term);
  if (m) return check(m[1]!, m[2] === "!=" ? "NotIn" : "In", [m[3]!]);
  m = /^!\s*(\S+)$/.exec(term);
  if (m) return check(m[1]!, "DoesNotExist", []);
  if (/^\S+$/.test(term)) return check(term, "Exists", []);
  return `cannot parse ${JSON.stringify(term)}`;
}

function check(key: string, operator: Requirement["operator"], values: string[]): Requirement | string {
  if (!isValidLabelKey(key)) return `invalid label key ${JSON.stringify(key)}`;
  const bad = values.find((v) => !isValidLabelValue(v));
  if (bad !== undefined) return `invalid label value ${JSON.stringify(bad)}`;
  return { key, operator, values: new Set(values) };
}
