/**
 * When the graph's "auto" grouping shows namespaces instead of workloads: past a camera ratio
 * (1 = the whole graph fits), and for big graphs already a little zoomed out. Kept apart from the
 * canvas so that it is unit-tested under Node.
 */

/** Camera ratio beyond which "auto" shows namespaces. */
export const AGGREGATE_RATIO = 1.6;
/** With more workloads than this, "auto" starts with namespaces until zoomed in. */
export const BIG = 400;
/** Big graphs: the camera ratio beyond which "auto" shows namespaces, and the one a selection is shown at. */
export const BIG_WORKLOAD_RATIO = 0.45;

/** Whether "auto" shows namespaces at this camera ratio, for a graph of this many workloads. */
export function zoomedOut(ratio: number, workloads: number): boolean {
  return ratio > AGGREGATE_RATIO || (workloads > BIG && ratio > BIG_WORKLOAD_RATIO);
}
