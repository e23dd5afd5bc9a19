/**
 * Attribution: why one endpoint pair gained or lost connections, read from what evaluatePair
 * recorded in the base and the head world (the isolating policies and the rules that matched, with
 * what each admits). Never re-derived: the rules named are the RuleMatches of the evaluator.
 */
import type { Direction } from "../compile/model.js";
import { formatEndpoint } from "../eval/endpoint.js";
import type { DirectionVerdict, PairVerdict, RuleMatch } from "../eval/evaluatePair.js";
import { describePeer, describeRulePorts } from "../explain/describe.js";
import { formatPolicy, type PolicyKey } from "../model/ids.js";
import { formatIp } from "../net/ip.js";
import type { ConnectionSet } from "../ports/ConnectionSet.js";
import type { ChangeCause, PolicyChangeKind } from "./types.js";
import { appendAll } from "../util/appendAll.js";

const DIRS: readonly Direction[] = ["egress", "ingress"];

/** Causes of the difference between two verdicts of the same pair (base first, head second). */
export function pairCauses(base: PairVerdict, head: PairVerdict, changeOf: ReadonlyMap<PolicyKey, PolicyChangeKind>): ChangeCause[] {
  const gained = head.allowed.subtract(base.allowed);
  const lost = base.allowed.subtract(head.allowed);
  const out: ChangeCause[] = [];
  for (const dir of DIRS) {
    const sb = base[dir];
    const sh = head[dir];
    const sideGained = sh.allowed.subtract(sb.allowed).intersect(gained);
    const sideLost = sb.allowed.subtract(sh.allowed).intersect(lost);
    const o = dir === "egress" ? head.dst : head.src;
    const other = o.kind === "external" ? `addresses such as ${formatIp(o.ip)}` : formatEndpoint(o);
    if (!sideGained.isEmpty()) appendAll(out, gainCauses(sb, sh, sideGained, other, changeOf));
    if (!sideLost.isEmpty()) appendAll(out, lossCauses(sb, sh, sideLost, other, changeOf));
  }
  return out;
}

function gainCauses(sb: DirectionVerdict, sh: DirectionVerdict, conn: ConnectionSet, other: string, changeOf: ReadonlyMap<PolicyKey, PolicyChangeKind>): ChangeCause[] {
  const dir = sh.direction;
  const subject = formatEndpoint(sh.subject);
  if (sh.isolating.length === 0 && sb.isolating.length > 0) {
    const out: ChangeCause[] = [];
    for (const p of sb.isolating) {
      const change = changeOf.get(p.key);
      if (!change) continue;
      out.push({
        effect: "no-longer-isolates",
        direction: dir,
        policy: p.ref,
        policyChange: change,
        conn,
        text: `${formatPolicy(p.ref)} (${change}) no longer isolates ${subject} for ${dir}, and no other NetworkPolicy does: ${dir} ${dir === "egress" ? "to" : "from"} ${other} gains ${conn.key}`,
      });
    }
    return out.length > 0 ? out : [worldChange(dir, conn, `${subject} is no longer isolated for ${dir}`)];
  }
  const out = ruleCauses(sh.matches, conn, changeOf, "admits");
  return out.length > 0 ? out : [worldChange(dir, conn, `unchanged ${dir} rules of ${subject} now admit ${conn.key}`)];
}

function lossCauses(sb: DirectionVerdict, sh: DirectionVerdict, conn: ConnectionSet, other: string, changeOf: ReadonlyMap<PolicyKey, PolicyChangeKind>): ChangeCause[] {
  const dir = sh.direction;
  const subject = formatEndpoint(sh.subject);
  if (sb.isolating.length === 0 && sh.isolating.length > 0) {
    const out: ChangeCause[] = [];
    for (const p of sh.isolating) {
      const change = changeOf.get(p.key);
      if (!change) continue;
      out.push({
        effect: "isolates",
        direction: dir,
        policy: p.ref,
        policyChange: change,
        conn,
        text: `${formatPolicy(p.ref)} (${change}) now isolates ${subject} for ${dir}, and no ${dir} rule admits ${conn.key} ${dir === "egress" ? "to" : "from"} ${other}`,
      });
    }
    return out.length > 0 ? out : [worldChange(dir, conn, `${subject} is now isolated for ${dir}`)];
  }
  const out = ruleCauses(sb.matches, conn, changeOf, "no-longer-admits");
  return out.length > 0 ? out : [worldChange(dir, conn, `${dir} rules of ${subject} no longer admit ${conn.key}`)];
}

function ruleCauses(matches: readonly RuleMatch[], conn: ConnectionSet, changeOf: ReadonlyMap<PolicyKey, PolicyChangeKind>, effect: "admits" | "no-longer-admits"): ChangeCause[] {
  const out: ChangeCause[] = [];
  for (const m of matches) {
    const change = changeOf.get(m.policy.key);
    if (!change) continue;
    const part = m.conn.intersect(conn);
    if (part.isEmpty()) continue;
    const dir = m.rule.direction;
    const what = `${dir === "ingress" ? "from" : "to"} ${describePeer(m.peer, dir)} (ports: ${describeRulePorts(m.rule)})`;
    const text =
      effect === "admits"
        ? `${formatPolicy(m.policy.ref)} (${change}) ${m.rule.field} admits ${part.key} ${what}`
        : `${formatPolicy(m.policy.ref)} (${change}) ${m.rule.field} admitted ${part.key} ${what}${change === "deleted" ? "" : " before the change"}`;
    out.push({ effect, direction: dir, policy: m.policy.ref, policyChange: change, rule: m.rule.field, conn: part, text });
  }
  return out;
}

/**
 * Why a row of a workload that exists in one world only (new, or removed) has its connections: the
 * rules of the world it exists in that admit them, changed or not (an unchanged policy admitting a
 * new workload's traffic to an ipBlock is the answer a reviewer needs). `verdict` is the pair in
 * that world; `what` says which workload is new or removed. Empty when no NetworkPolicy rule
 * admits them (the subject is not isolated, or a tiered policy decides).
 */
export function presenceCauses(verdict: PairVerdict, conn: ConnectionSet, changeOf: ReadonlyMap<PolicyKey, PolicyChangeKind>, what: string, gained: boolean): ChangeCause[] {
  const out: ChangeCause[] = [];
  for (const dir of DIRS) {
    const side = verdict[dir];
    if (!side.governed || side.isolating.length === 0) continue;
    for (const m of side.matches) {
      const part = m.conn.intersect(conn);
      if (part.isEmpty()) continue;
      const change = changeOf.get(m.policy.key);
      const peer = `${dir === "ingress" ? "from" : "to"} ${describePeer(m.peer, dir)} (ports: ${describeRulePorts(m.rule)})`;
      const text = `${what}: ${formatPolicy(m.policy.ref)}${change ? ` (${change})` : ""} ${m.rule.field} ${gained ? "admits" : "admitted"} ${part.key} ${peer}`;
      out.push({ effect: gained ? "admits" : "no-longer-admits", direction: dir, policy: m.policy.ref, ...(change ? { policyChange: change } : {}), rule: m.rule.field, conn: part, text });
    }
  }
  return out;
}

function worldChange(direction: Direction, conn: ConnectionSet, what: string): ChangeCause {
  return { effect: "world-change", direction, conn, text: `${what}: pods, labels or namespaces changed` };
}

/** Causes of several pairs of one row, without repeats. */
export function mergeCauses(lists: readonly (readonly ChangeCause[])[]): ChangeCause[] {
  const seen = new Set<string>();
  const out: ChangeCause[] = [];
  for (const list of lists)
    for (const c of list) {
      const k = `${c.effect}|${c.direction}|${c.policy ? formatPolicy(c.policy) : ""}|${c.rule ?? ""}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(c);
    }
  return out;
}
