/**
 * endpointsOf (src/api/query/members.ts): a class's members list maps to the same endpoint objects
 * for as long as the list is in use (the engine keys and formats each endpoint once), and another
 * list, even with equal members, to endpoints of its own.
 */
import { describe, expect, it } from "vitest";
import { endpointsOf, toEndpoint } from "../../../src/api/query/members.js";
import type { ClassMember } from "../../../src/domain/repositories.js";

describe("endpointsOf", () => {
  it("maps a members list once, to toEndpoint's endpoints", () => {
    const members: ClassMember[] = [
      { type: "workload", namespace: "shop", kind: "Deployment", name: "web", pods: 3 },
      { type: "external", family: 4, start: "10.0.0.0", end: "10.0.0.255" },
    ];
    const endpoints = endpointsOf(members);
    expect(endpoints).toEqual(members.map(toEndpoint));
    expect(endpointsOf(members)).toBe(endpoints);
    const copy = [...members];
    expect(endpointsOf(copy)).not.toBe(endpoints);
    expect(endpointsOf(copy)).toEqual(endpoints);
  });
});
