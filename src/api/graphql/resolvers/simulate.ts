/** The simulate mutation: the impact of proposed manifests on the latest generation, written nowhere. */
import type { ChangeCause, ImpactRow, PolicyChangeKind as EnginePolicyChangeKind, WhatIfMode } from "../../../engine/index.js";
import type { CauseEffect, MutationResolvers, PolicyChangeKind, SimulationMode } from "../../../generated/graphql.js";
import type { GenerationScoped } from "../models.js";
import type { GraphQLContext } from "../context.js";
import type { QueryService } from "../../query/QueryService.js";
import type { Store } from "../../../domain/repositories.js";
import { DEFAULT_CACHE_SIZES, type CacheSizes } from "../../../domain/config.js";
import { SimulationPool, type SimulationPoolOptions } from "../../whatif/SimulationPool.js";
import { SimulationService } from "../../whatif/SimulationService.js";
import { connectionsOut, endpointOut } from "./shared.js";

const MODES: Readonly<Record<SimulationMode, WhatIfMode>> = { APPLY: "apply", REPLACE_NAMESPACE: "replace-namespace", REPLACE_ALL: "replace-all" };
const EFFECTS: Readonly<Record<ChangeCause["effect"], CauseEffect>> = {
  admits: "ADMITS",
  "no-longer-admits": "NO_LONGER_ADMITS",
  isolates: "ISOLATES",
  "no-longer-isolates": "NO_LONGER_ISOLATES",
  "world-change": "WORLD_CHANGE",
};
const CHANGES: Readonly<Record<EnginePolicyChangeKind, PolicyChangeKind>> = { added: "ADDED", modified: "MODIFIED", deleted: "DELETED" };

const services = new WeakMap<object, SimulationService>();

/** One service per QueryService (one per running API), so bases are built once per generation. */
export function simulationService(ctx: GraphQLContext): SimulationService {
  let s = services.get(ctx.query);
  if (!s) services.set(ctx.query, (s = new SimulationService(ctx.query, ctx.store)));
  return s;
}

/** The running API's service, with its worker's budgets and its cache sizes (startApiServer calls it, and closes it). */
export function configureSimulation(query: QueryService, store: Store, options: SimulationPoolOptions, cacheSizes: CacheSizes = DEFAULT_CACHE_SIZES): SimulationService {
  const s = new SimulationService(query, store, cacheSizes, new SimulationPool({ basesKept: cacheSizes.whatIfBases, ...options }));
  services.set(query, s);
  return s;
}

function causeOut(c: ChangeCause) {
  return {
    effect: EFFECTS[c.effect],
    direction: c.direction === "ingress" ? ("INGRESS" as const) : ("EGRESS" as const),
    policy: c.policy ? { ...c.policy } : null,
    policyChange: c.policyChange ? CHANGES[c.policyChange] : null,
    rule: c.rule ?? null,
    connections: connectionsOut(c.conn),
    text: c.text,
  };
}

export function changeOut(g: GenerationScoped, r: ImpactRow) {
  return {
    diffType: r.diffType === "added" ? ("ADDED" as const) : r.diffType === "removed" ? ("REMOVED" as const) : ("CHANGED" as const),
    src: endpointOut(g, r.src),
    dst: endpointOut(g, r.dst),
    before: connectionsOut(r.before),
    after: connectionsOut(r.after),
    gained: connectionsOut(r.gained),
    lost: connectionsOut(r.lost),
    causes: r.causes.map(causeOut),
  };
}

export const simulateMutations: Pick<MutationResolvers, "simulate"> = {
  async simulate(_, args, ctx) {
    const mode = args.mode ?? "APPLY";
    const a = await simulationService(ctx).simulate(ctx.scope, { cluster: args.cluster, manifests: args.manifests, mode: MODES[mode] });
    const changes = a.rows.map((r) => ({ row: r, out: changeOut(a, r) }));
    const namespaces = new Map<string, { gained: typeof changes; lost: typeof changes }>();
    for (const c of changes)
      for (const e of new Set([c.row.src, c.row.dst].flatMap((x) => (x.kind === "workload" ? [x.ref.namespace] : [])))) {
        const entry = namespaces.get(e) ?? { gained: [], lost: [] };
        if (!c.row.gained.isEmpty()) entry.gained.push(c);
        if (!c.row.lost.isEmpty()) entry.lost.push(c);
        namespaces.set(e, entry);
      }
    return {
      cluster: a.cluster,
      generation: a.generation,
      mode,
      method: a.method === "incremental" ? "INCREMENTAL" : "FULL",
      policyChanges: a.policyChanges.map((c) => ({ policy: { ...c.ref }, change: CHANGES[c.kind] })),
      changes: changes.map((c) => c.out),
      namespaces: [...namespaces.entries()]
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([namespace, e]) => ({ namespace, gained: e.gained.map((c) => c.out), lost: e.lost.map((c) => c.out) })),
      gainedTotal: a.rows.filter((r) => !r.gained.isEmpty()).length,
      lostTotal: a.rows.filter((r) => !r.lost.isEmpty()).length,
      warnings: [...a.warnings],
    };
  },
};
