/**
 * The incremental what-if of a NetworkPolicy change: the impact of adding, modifying or deleting
 * policies, computed from the base world and its class matrix without rebuilding either.
 *
 * Why it is exact (the property test in test/engine/whatifProperty.test.ts checks it against the
 * full recomputation on random worlds):
 * 1. Only sides of changed policies move. A pod's egress verdict depends only on the policies of
 *    its namespace that select it for egress, and their rules; ingress likewise. Pods, labels and
 *    namespaces are unchanged, so if no changed policy (base or head version) selects a pod for a
 *    direction, that side of the pod is the same in both worlds, toward every endpoint.
 * 2. On a moved side, only endpoints a changed rule matches move. If the pod's isolation for the
 *    direction is the same in both worlds, the side is the union of the rules of the isolating
 *    policies; the unchanged policies contribute the same rules, so the two unions can differ only
 *    toward endpoints that a peer of a changed rule matches (every endpoint if a changed rule has
 *    no peer list). If the isolation flips, every endpoint is a candidate.
 * 3. Classes stand for their members. Base classes hold pods every base policy treats alike; the
 *    refined classes split them further by what the new versions look at (selection, peer matches,
 *    the named ports they name), and external atoms are cut at the new ipBlocks' boundaries. Two
 *    pods of one refined class are treated alike by every head policy, so one evaluation of a class
 *    pair (evaluateDirection, the engine's evaluator, on two member representatives) is the value
 *    of every member pair; the base value is the base matrix entry of the enclosing base classes.
 * 4. Rows are recomputed whole. For every workload pair (and workload-external pair) with a changed
 *    class pair, the before and after connections are the unions over all its class pairs, exactly
 *    as buildConnectivity forms them; diffConnectivity of those rows is the full diff restricted to
 *    the keys that can change, and every other key is unchanged by 1 and 2.
 * Address families: atoms cover the union of the families of both worlds, and base values for a
 * family the base partition lacks are evaluated on the base world, so a first IPv6 ipBlock does not
 * report every IPv6 flow as new (see alignFamilies for the full recomputation's counterpart).
 *
 * The steps, in order: the nodes (refined classes and external groups, refinedClasses.ts), the
 * candidate pairs and their evaluation (candidatePairs.ts), the keys, rows and causes of what
 * changed (impactRows.ts).
 */
import type { Diagnostic } from "../diagnostics.js";
import { diffConnectivity } from "../diff/diffConnectivity.js";
import type { PolicyKey } from "../model/ids.js";
import type { WhatIfBase } from "./base.js";
import { candidatePairs, PairEvaluation } from "./candidatePairs.js";
import { explainRows, keysOfChangedPairs, rowsBeforeAndAfter } from "./impactRows.js";
import { whatIfNodes, WorkloadLookup } from "./refinedClasses.js";
import { spliceWorld, type PolicyEdit } from "./splice.js";
import type { PolicyChangeKind, WhatIfResult } from "./types.js";

/** The impact of a policy edit on the base world, computed incrementally (exact: see above). */
export function simulatePolicyEdit(base: WhatIfBase, edit: PolicyEdit, diagnostics: readonly Diagnostic[] = []): WhatIfResult {
  const spliced = spliceWorld(base.world, edit);
  const head = spliced.world;
  const result = { method: "incremental", head, diagnostics, policyChanges: spliced.changes } as const;
  if (spliced.changes.length === 0) return { ...result, rows: [], stats: { refinedClasses: 0, affectedClasses: 0, evaluatedPairs: 0, changedPairs: 0 } };
  const changeOf = new Map<PolicyKey, PolicyChangeKind>(spliced.changes.map((c) => [c.key, c.kind]));
  // 1-2: the nodes the edit is evaluated on.
  const nodes = whatIfNodes(base, spliced, edit);
  const lookup = new WorkloadLookup(base, nodes);
  // 3-4: the node pairs that can change, evaluated.
  const candidates = candidatePairs(base.world, head, nodes, [...spliced.oldVersions, ...spliced.newVersions]);
  const pairs = new PairEvaluation(base, head, nodes).evaluate(candidates);
  // 5-7: the rows of the keys with a changed pair, their diff, and why.
  const keys = keysOfChangedPairs(base, nodes, lookup, pairs.changed);
  const { before, after } = rowsBeforeAndAfter(base, nodes, lookup, pairs, keys);
  const rows = explainRows(diffConnectivity(before, after), { base, head, nodes, pairs, keys, changeOf });
  return {
    ...result,
    rows,
    stats: { refinedClasses: nodes.P, affectedClasses: candidates.affected.size, evaluatedPairs: pairs.evaluatedPairs, changedPairs: pairs.changed.size },
  };
}
