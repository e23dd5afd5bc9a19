/**
 * MatrixMaintainer's impact estimate (Analysis.estimatedRows) of an incremental generation: workloads
 * per class are kept across generations and counted again only for the classes the engine says
 * changed, so pods that move between classes, join, leave or change workload must leave the
 * estimate equal to a recomputation's (analysis.ts, from scratch) at every generation.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/app/logger.js";
import { ClusterState } from "../../src/domain/ClusterState.js";
import type { MatrixSnapshot } from "../../src/domain/repositories.js";
import { analyze } from "../../src/sync/analysis.js";
import { changesForBatch, type SyncEvent } from "../../src/sync/batchChanges.js";
import { MatrixMaintainer } from "../../src/sync/recompute.js";
import { toClusterObject } from "../../src/sync/kube/toClusterObject.js";
import { namespace, networkPolicy, pod, type KubeObject } from "../helpers/fakeKubeApi.js";

let rv = 0;
const ids = (o: KubeObject, uid: string): KubeObject => ({ ...o, metadata: { ...o.metadata, uid, resourceVersion: String(++rv) } });
/** A pod of ReplicaSet `owner` (its workload), with labels. */
const podOf = (name: string, owner: string, labels: Record<string, string>, ip: string) =>
  toClusterObject("Pod", ids(pod({ namespace: "shop", name, labels, ip, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: owner, uid: `rs-${owner}`, controller: true }] }), `pod-${name}`));
const policy = (name: string, selector: Record<string, string>, from: Record<string, string>) =>
  toClusterObject("NetworkPolicy", ids(networkPolicy({ namespace: "shop", name, spec: { podSelector: { matchLabels: selector }, ingress: [{ from: [{ podSelector: { matchLabels: from } }] }] } }), `np-${name}`));

describe("MatrixMaintainer's impact estimate of incremental generations", () => {
  it("equals a recomputation's after pods move between classes, join, leave and change workload", async () => {
    const maintainer = new MatrixMaintainer(silentLogger());
    let state = new ClusterState();
    let snapshot: MatrixSnapshot | undefined;
    const methods: string[] = [];
    const generation = async (events: SyncEvent[]) => {
      const { changes, working } = changesForBatch(state, events, { sourceRef: () => null, namespaceSelectors: () => [] });
      const computed = await maintainer.compute({ state, snapshot }, working, [{ changes, revisions: [] }]);
      await computed.prepareImpacts?.();
      methods.push(computed.method);
      expect(computed.analysis.estimatedRows(), `generation ${methods.length}`).toBe(analyze(working).estimatedRows());
      state = working;
      snapshot = computed.snapshot;
    };
    const at = new Date();
    const upsert = (object: ReturnType<typeof podOf>): SyncEvent => ({ type: "upsert", object, at });
    const remove = (object: ReturnType<typeof podOf>): SyncEvent => ({ type: "remove", object, at });
    const web = (i: number, owner = "web-1", labels: Record<string, string> = { app: "web" }) => podOf(`web-${i}`, owner, labels, `10.0.0.${10 + i}`);
    await generation([
      { type: "list", kind: "Namespace", objects: [toClusterObject("Namespace", ids(namespace("shop"), "ns-shop"))], via: "list", at },
      { type: "list", kind: "Pod", objects: [web(0), web(1), web(2), podOf("db-0", "db-1", { app: "db" }, "10.0.1.1"), podOf("cli-0", "cli-1", { app: "cli" }, "10.0.2.1")], via: "list", at },
      { type: "list", kind: "NetworkPolicy", objects: [policy("db", { app: "db" }, { app: "web" })], via: "list", at },
    ]);
    // A web pod of another ReplicaSet joins web's class: the class now holds two workloads.
    await generation([upsert(web(3, "web-2"))]);
    // An existing pod changes workload (a new owner), same labels, same class.
    await generation([upsert(web(1, "web-2"))]);
    // A pod moves to cli's class, and back.
    await generation([upsert(web(2, "web-1", { app: "cli" }))]);
    await generation([upsert(web(2, "web-1", { app: "web" }))]);
    // A policy change splits web's class (tier=front pods are isolated apart).
    await generation([upsert(web(0, "web-1", { app: "web", tier: "front" }))]);
    await generation([{ type: "upsert", object: policy("front", { tier: "front" }, { app: "cli" }), at }]);
    // Pods leave: the last pod of web-1 and a whole class.
    await generation([remove(web(0)), remove(web(2))]);
    await generation([remove(podOf("cli-0", "cli-1", { app: "cli" }, "10.0.2.1"))]);
    expect(methods).toEqual(["full", ...methods.slice(1).map(() => "incremental")]);
  });
});

describe("MatrixMaintainer's collections around the first generation", () => {
  it("collects the heap before computing the first generation of a process and before it is committed, never for a later one", async () => {
    const lines: { msg: string }[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
    const maintainer = new MatrixMaintainer(logger);
    const at = new Date();
    const state = new ClusterState();
    const { working, changes } = changesForBatch(state, [{ type: "list", kind: "Pod", objects: [podOf("db-0", "db-1", { app: "db" }, "10.0.1.1")], via: "list", at }], { sourceRef: () => null, namespaceSelectors: () => [] });
    const first = await maintainer.compute({ state, snapshot: undefined }, working, [{ changes, revisions: [] }]);
    const collections = () => lines.map((l) => l.msg).filter((m) => m.startsWith("collected garbage"));
    expect(collections()).toEqual(["collected garbage before the first generation", "collected garbage after computing the first generation"]);
    // A later full recompute (a fallback) has readers, whom a collection would stall.
    maintainer.reset();
    const again = await maintainer.compute({ state: working, snapshot: first.snapshot }, working, []);
    expect(again.method).toBe("full");
    expect(collections()).toHaveLength(2);
  });
});
