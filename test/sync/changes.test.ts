import { describe, expect, it } from "vitest";
import { LabelSelector } from "../../src/engine/index.js";
import { changesForDelete, changesForListing, changesForUpsert, type ChangeContext } from "../../src/sync/changes.js";
import { ClusterState } from "../../src/domain/ClusterState.js";
import type { NamespaceObject, PodObject, PolicyObject } from "../../src/domain/objects.js";

const at = new Date("2026-11-27T10:00:00.000Z");
const ctx = (over: Partial<ChangeContext> = {}): ChangeContext => ({ observedAt: at, via: "watch", sourceRef: null, namespaceSelectors: () => [], ...over });
const meta = (uid: string, name: string, namespace: string, rv: string, labels: Record<string, string> = {}) => ({ uid, name, namespace, resourceVersion: rv, labels });
const policy = (uid: string, name: string, rv: string, spec: PolicyObject["spec"]): PolicyObject => ({ kind: "NetworkPolicy", meta: meta(uid, name, "prod", rv), spec });
const pod = (uid: string, name: string, rv: string): PodObject => ({
  kind: "Pod",
  meta: meta(uid, name, "prod", rv, { app: name }),
  hostNetwork: false,
  containerPorts: [],
  workload: { namespace: "prod", kind: "Pod", name },
});
const ns = (uid: string, name: string, rv: string, labels: Record<string, string>): NamespaceObject => ({ kind: "Namespace", meta: meta(uid, name, "", rv, labels) });

describe("change detection", () => {
  it("a new policy is an upsert with a CREATE revision carrying the full spec", () => {
    const state = new ClusterState();
    const [c] = changesForUpsert(state, policy("u1", "p", "1", { podSelector: {} }), ctx());
    expect(c?.op).toBe("upsert");
    expect(c?.revision).toMatchObject({ operation: "CREATE", before: null, after: { podSelector: {} }, observedVia: "watch", uid: "u1", resourceVersion: "1" });
    expect(c?.revision?.diff).toEqual([{ op: "add", path: "/podSelector", value: {} }]);
  });

  it("the same resourceVersion again changes nothing (idempotent delivery)", () => {
    const state = ClusterState.from([policy("u1", "p", "1", { podSelector: {} })]);
    expect(changesForUpsert(state, policy("u1", "p", "1", { podSelector: {} }), ctx())).toEqual([]);
  });

  it("a spec change is an UPDATE with before, after and a JSON Patch diff", () => {
    const state = ClusterState.from([policy("u1", "p", "1", { podSelector: {}, ingress: [] })]);
    const [c] = changesForUpsert(state, policy("u1", "p", "2", { podSelector: {}, ingress: [{}] }), ctx());
    expect(c?.revision).toMatchObject({ operation: "UPDATE", before: { ingress: [] }, after: { ingress: [{}] } });
    expect(c?.revision?.diff).toEqual([{ op: "add", path: "/ingress/0", value: {} }]);
  });

  it("a metadata-only update is stored but is not a revision", () => {
    const state = ClusterState.from([policy("u1", "p", "1", { podSelector: {} })]);
    const [c] = changesForUpsert(state, policy("u1", "p", "2", { podSelector: {} }), ctx());
    expect(c).toMatchObject({ op: "upsert" });
    expect(c?.revision).toBeUndefined();
  });

  it("a name recreated under a new uid is a DELETE of the old object then a CREATE", () => {
    const state = ClusterState.from([policy("u1", "p", "1", { podSelector: {} })]);
    const cs = changesForUpsert(state, policy("u2", "p", "5", { podSelector: {} }), ctx({ via: "relist" }));
    expect(cs.map((c) => [c.op, c.object.meta.uid, c.revision?.operation, c.revision?.finalStateUnknown])).toEqual([
      ["delete", "u1", "DELETE", true],
      ["upsert", "u2", "CREATE", false],
    ]);
  });

  it("a watched delete is a DELETE revision whose final state is known", () => {
    const p = policy("u1", "p", "3", { podSelector: {} });
    const [c] = changesForDelete(p, ctx(), false);
    expect(c?.revision).toMatchObject({ operation: "DELETE", before: { podSelector: {} }, after: null, finalStateUnknown: false });
  });

  it("a listing deletes what it no longer contains (final state unknown) and adds what is new", () => {
    const state = ClusterState.from([policy("u1", "gone", "1", { podSelector: {} }), policy("u2", "kept", "1", { podSelector: {} })]);
    const cs = changesForListing(state, "NetworkPolicy", [policy("u2", "kept", "1", { podSelector: {} }), policy("u3", "new", "7", { podSelector: {} })], ctx({ via: "relist" }));
    expect(cs.map((c) => [c.op, c.object.meta.name, c.revision?.operation, c.revision?.observedVia, c.revision?.finalStateUnknown])).toEqual([
      ["delete", "gone", "DELETE", "relist", true],
      ["upsert", "new", "CREATE", "relist", false],
    ]);
  });

  it("a manifest re-read deletes with a known final state (the last read file is final)", () => {
    const state = ClusterState.from([policy("u1", "gone", "1", { podSelector: {} })]);
    const [c] = changesForListing(state, "NetworkPolicy", [], ctx({ via: "manifest" }));
    expect(c?.revision).toMatchObject({ operation: "DELETE", finalStateUnknown: false, observedVia: "manifest" });
  });

  it("listing one kind never touches objects of another kind", () => {
    const state = ClusterState.from([pod("p1", "web", "1"), policy("u1", "p", "1", { podSelector: {} })]);
    expect(changesForListing(state, "Pod", [pod("p1", "web", "1")], ctx({ via: "relist" }))).toEqual([]);
  });

  it("pod changes are stored without revisions", () => {
    const [c] = changesForUpsert(new ClusterState(), pod("p1", "web", "1"), ctx());
    expect(c).toMatchObject({ op: "upsert" });
    expect(c?.revision).toBeUndefined();
  });

  const teamSelector = new LabelSelector([{ key: "team", operator: "In", values: new Set(["a"]) }]);
  it.each<{ name: string; before: Record<string, string>; after: Record<string, string>; recorded: boolean }>([
    { name: "a label change that flips a namespaceSelector is recorded", before: { team: "a" }, after: { team: "b" }, recorded: true },
    { name: "a label change no selector looks at is not recorded", before: { team: "a", x: "1" }, after: { team: "a", x: "2" }, recorded: false },
  ])("$name", ({ before, after, recorded }) => {
    const state = ClusterState.from([ns("n1", "shop", "1", before)]);
    const [c] = changesForUpsert(state, ns("n1", "shop", "2", after), ctx({ namespaceSelectors: () => [teamSelector] }));
    expect(c?.op).toBe("upsert");
    expect(c?.revision !== undefined).toBe(recorded);
    if (recorded) expect(c?.revision).toMatchObject({ objectKind: "Namespace", operation: "UPDATE", before, after });
  });
});

describe("ClusterState.toWorldInput", () => {
  it("is independent of insertion order", () => {
    const a = ClusterState.from([pod("1", "b", "1"), pod("2", "a", "1"), policy("3", "z", "1", {}), policy("4", "y", "1", {})]);
    const b = ClusterState.from([policy("4", "y", "1", {}), pod("2", "a", "1"), policy("3", "z", "1", {}), pod("1", "b", "1")]);
    expect(a.toWorldInput()).toEqual(b.toWorldInput());
    expect(a.toWorldInput().pods.map((p) => p.name)).toEqual(["a", "b"]);
  });
});

describe("revisions of manifests", () => {
  it("a reverted change (A, B, A, B) gets a distinct revision identity each time", () => {
    let state = new ClusterState();
    const seen = new Set<string>();
    const specs: PolicyObject["spec"][] = [{ podSelector: {} }, { podSelector: {}, ingress: [] }, { podSelector: {} }, { podSelector: {}, ingress: [] }];
    specs.forEach((spec, i) => {
      const rv = JSON.stringify(spec).length.toString(); // content-derived, as ManifestSource does: repeats on revert
      const [c] = changesForListing(state, "NetworkPolicy", [policy("u1", "p", rv, spec)], ctx({ via: "manifest", observedAt: new Date(at.getTime() + i * 1000) }));
      expect(c?.revision).toBeDefined();
      const id = `${c!.revision!.uid}/${c!.revision!.resourceVersion}/${c!.revision!.operation}`;
      expect(seen.has(id)).toBe(false);
      seen.add(id);
      state = ClusterState.from([c!.object]);
    });
  });

  it("a watched change keeps the API server's resourceVersion", () => {
    const [c] = changesForUpsert(new ClusterState(), policy("u1", "p", "4711", {}), ctx());
    expect(c?.revision?.resourceVersion).toBe("4711");
  });
});
