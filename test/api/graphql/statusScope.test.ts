/** syncStatus errors under a scoped token: the count, never the text (it names other namespaces' objects). */
import { describe, expect, it } from "vitest";
import { visibleErrors } from "../../../src/api/graphql/resolvers/status.js";
import type { Scope } from "../../../src/domain/scope.js";

const all: Scope = { all: true, principal: "admin" };
const shop: Scope = { all: false, principal: "shop-team", namespaces: new Set(["shop"]) };
const errors = ["NetworkPolicy prod/db-allow: spec.ingress[0].from[0].ipBlock.cidr: bad CIDR", "listing Pods: connection refused"];

describe("visibleErrors", () => {
  it.each([
    ["an unscoped token sees every error", all, errors, errors],
    ["an unscoped token, no errors", all, [], []],
    ["a scoped token, no errors", shop, [], []],
    ["a scoped token sees how many, not what", shop, errors, ["2 sync errors; their text names objects outside this token's namespaces and is shown to unscoped tokens only"]],
    ["a scoped token, one error", shop, errors.slice(0, 1), ["1 sync error; their text names objects outside this token's namespaces and is shown to unscoped tokens only"]],
  ] as const)("%s", (_name, scope, input, expected) => {
    expect(visibleErrors(scope, input)).toEqual(expected);
  });
});
