/**
 * staleStatistics (src/store/bulkRows.ts): which commits refresh the planner's statistics. A bulk
 * write (10,000 rows or more) that is also a tenth of the tables or more: a first generation or a
 * relist that changed much, not an incremental change of thousands of connections on a matrix of
 * a million (its ANALYZE held back the commit by a second at 150,000 pods).
 */
import { describe, expect, it } from "vitest";
import { BULK_ROWS, staleStatistics } from "../../src/store/bulkRows.js";

describe("staleStatistics", () => {
  it.each([
    { case: "a first generation of 10,000 rows", written: BULK_ROWS, existing: 0, stale: true },
    { case: "a first generation under 10,000 rows", written: BULK_ROWS - 1, existing: 0, stale: false },
    { case: "a relist that doubles the tables", written: 50_000, existing: 50_000, stale: true },
    { case: "a write of exactly a tenth of the tables", written: 20_000, existing: 200_000, stale: true },
    { case: "a write just under a tenth of the tables", written: 20_000, existing: 200_001, stale: false },
    { case: "11,000 connections on a 1.1 million-row matrix (150,000 pods)", written: 11_000, existing: 1_100_000, stale: false },
    { case: "a small change on a small matrix", written: 30, existing: 100, stale: false },
  ])("$case: $stale", ({ written, existing, stale }) => {
    expect(staleStatistics(written, existing)).toBe(stale);
  });
});
