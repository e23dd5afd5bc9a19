/** Small shared pieces of the formatters. */

/** The `default:` of a switch over a closed set of formats: a compile error when a case is missing. */
export class UnreachableFormat extends Error {
  constructor(value: never) {
    super(`unknown output format ${JSON.stringify(value)}`);
  }
}
