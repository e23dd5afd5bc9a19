/** The shared keys (src/domain/keys.ts): built and split only there, and stable where they are stored. */
import { describe, expect, it } from "vitest";
import type { ClassMember } from "../../src/domain/repositories.js";
import { classKeyOf, classPairKey, memberKey, splitClassPairKey, storedClassKey, workloadKey, workloadNameKey, type ClassPairKey, type MemberIdentity } from "../../src/domain/keys.js";

const wl = (name: string, kind = "Deployment"): MemberIdentity => ({ type: "workload", namespace: "ns", kind, name });
const ext = (start: string, end: string): MemberIdentity => ({ type: "external", family: 4, start, end });

describe("class keys", () => {
  it("hash the class signature to 32 hex digits, the same in every process", () => {
    expect(classKeyOf("pod|in:np-1")).toMatch(/^[0-9a-f]{32}$/);
    expect(classKeyOf("pod|in:np-1")).toBe(classKeyOf("pod|in:np-1"));
    expect(classKeyOf("pod|in:np-1")).not.toBe(classKeyOf("pod|in:np-2"));
  });

  it("splits connection keys and rejects malformed ones", () => {
    expect(splitClassPairKey(classPairKey(storedClassKey("pod|a"), storedClassKey("external|b")))).toEqual({ srcClass: "pod|a", dstClass: "external|b" });
    expect(() => splitClassPairKey("no separator" as ClassPairKey)).toThrow(TypeError);
  });

  it("keeps the pair order: a -> b and b -> a are different connections", () => {
    const [a, b] = [storedClassKey("a"), storedClassKey("b")];
    expect(classPairKey(a, b)).not.toBe(classPairKey(b, a));
  });
});

describe("member keys", () => {
  it("tells workloads of different kinds and IP ranges apart, without NUL characters", () => {
    const keys = [memberKey(wl("x", "Deployment")), memberKey(wl("x", "StatefulSet")), memberKey(ext("1.0.0.0", "1.0.0.1")), memberKey(ext("1.0.0.0", "1.0.0.10"))];
    expect(new Set(keys).size).toBe(4);
    expect(keys.join("")).not.toContain("\u0000");
    const withPods = (pods: number): ClassMember => ({ type: "workload", namespace: "ns", kind: "Deployment", name: "x", pods });
    expect(memberKey(withPods(1))).toBe(memberKey(withPods(7)));
  });

  it("keeps the stored format (matrix_class_members.member_key) byte for byte", () => {
    expect(memberKey(wl("api"))).toBe('["w","ns","Deployment","api"]');
    expect(memberKey(ext("10.0.0.0", "10.0.0.255"))).toBe('["e",4,"10.0.0.0","10.0.0.255"]');
  });
});

describe("workload keys", () => {
  it("has one identity per workload (the engine's) and one name key across kinds", () => {
    const deployment = { namespace: "shop", kind: "Deployment", name: "web" };
    const statefulSet = { ...deployment, kind: "StatefulSet" };
    expect(workloadKey(deployment)).not.toBe(workloadKey(statefulSet));
    expect(workloadNameKey("shop", "web")).toBe(workloadNameKey(statefulSet.namespace, statefulSet.name));
    // The separator cannot occur in Kubernetes names, so "a/b" + "c" and "a" + "b/c" stay apart.
    expect(workloadNameKey("a/b", "c")).not.toBe(workloadNameKey("a", "b/c"));
  });
});
