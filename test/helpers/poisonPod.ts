/** A pod the engine cannot process, for tests of a recompute that fails. */
import type { ClusterObject, PodObject } from "../../src/domain/objects.js";
import { toClusterObject } from "../../src/sync/kube/toClusterObject.js";
import { pod } from "./fakeKubeApi.js";

/**
 * Pod shop/poison (uid pod-poison) at resourceVersion `rv`: its container ports serialise (the
 * store writes them) but throw when the analysis iterates them, as the engine did on a policy with
 * 200k ipBlocks.
 */
export function poisonPod(rv: number): ClusterObject {
  const object = pod({ namespace: "shop", name: "poison", labels: { app: "poison" }, ip: "10.0.0.99" });
  const base = toClusterObject("Pod", { ...object, metadata: { ...object.metadata, uid: "pod-poison", resourceVersion: String(rv) } }) as PodObject;
  const boom = () => {
    throw new RangeError("Invalid array length (test: an input the engine cannot process)");
  };
  const ports = Object.assign([] as unknown[], { toJSON: () => [], [Symbol.iterator]: boom, map: boom, forEach: boom, filter: boom, some: boom, flatMap: boom });
  Object.defineProperty(ports, 0, { get: boom, enumerable: true });
  return { ...base, containerPorts: ports as unknown as PodObject["containerPorts"] };
}
