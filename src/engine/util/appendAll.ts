/**
 * Appends every item of `items` to `target` and returns `target`. `target.push(...items)` passes
 * each item as a call argument, so an array of a few hundred thousand items (input-driven: peers of
 * a policy, objects of a file) throws "Maximum call stack size exceeded"; a loop has no such limit.
 * Spread in call arguments is refused by the lint configuration in src/ for this reason. Pure.
 */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}
