/**
 * Stored impact JSON -> ImpactSide (src/store/impactRows.ts): new rows keep their refs, old rows
 * (display strings only) get refs derived from formatConnEndpoint's notation, and whatever else is
 * stored reads as it always did (a side without rows is empty).
 */
import { describe, expect, it } from "vitest";
import { formatConnEndpoint, parseIp, type ConnEndpoint } from "../../src/engine/index.js";
import { EMPTY_IMPACT_SIDE, impactEndpoint, impactRow } from "../../src/domain/impacts.js";
import { impactSideFromJson, impactSideToJson, legacyEndpointRef } from "../../src/store/impactRows.js";

const ip = (text: string) => parseIp(text)!.value;
const endpoints: ConnEndpoint[] = [
  { kind: "workload", ref: { namespace: "shop", kind: "Deployment", name: "web" } },
  { kind: "workload", ref: { namespace: "kube-system", kind: "DaemonSet", name: "node-local-dns" } },
  { kind: "external", range: { family: 4, start: 0n, end: ip("9.255.255.255") } },
  { kind: "external", range: { family: 6, start: ip("2001:db8::"), end: ip("2001:db8::ffff") } },
];

describe("impactSideFromJson", () => {
  it("reads back what impactSideToJson wrote", () => {
    const side = { total: 5, truncated: true, rows: [impactRow(endpoints[0]!, endpoints[2]!, "UDP 53", "No Connections", "UDP 53")] };
    expect(impactSideFromJson(JSON.parse(JSON.stringify(impactSideToJson(side))))).toEqual(side);
    const skipped = { total: 0, truncated: true, rows: [], skipped: "not computed" };
    expect(impactSideFromJson(JSON.parse(JSON.stringify(impactSideToJson(skipped))))).toEqual(skipped);
  });

  it.each(endpoints.map((e) => ({ display: formatConnEndpoint(e), e })))("derives the same ref from an old row's display string as a new row stores: $display", ({ display, e }) => {
    expect(legacyEndpointRef(display)).toEqual(impactEndpoint(e));
  });

  it("reads a side without rows, or not a side at all, as empty", () => {
    for (const json of [null, [], "x", 3, {}, { rows: "x" }]) expect(impactSideFromJson(json)).toEqual(EMPTY_IMPACT_SIDE);
  });

  it("gives an endpoint in no known notation namespace \"\", which only an unscoped token sees", () => {
    expect(legacyEndpointRef("garbage")).toEqual({ type: "workload", namespace: "", kind: "", name: "garbage" });
    expect(legacyEndpointRef("a/x")).toEqual({ type: "workload", namespace: "a", kind: "", name: "x" });
  });
});
