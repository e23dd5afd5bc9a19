/** The graph's "auto" grouping: namespaces when zoomed out, workloads when zoomed in (web/src/zoom.ts). */
import { describe, expect, it } from "vitest";
import { BIG_WORKLOAD_RATIO, zoomedOut } from "../../web/src/zoom.js";

describe("zoomedOut", () => {
  it.each([
    ["the whole small graph", 1, 50, false],
    ["a small graph zoomed out far", 2, 50, true],
    ["the whole big graph", 1, 2000, true],
    ["a big graph at the ratio a selection is shown at", BIG_WORKLOAD_RATIO, 2000, false],
    ["a big graph a zoom step out from it", BIG_WORKLOAD_RATIO * 1.5, 2000, true],
  ])("%s", (_name, ratio, workloads, expected) => {
    expect(zoomedOut(ratio, workloads)).toBe(expected);
  });
});
