import { describe, expect, it } from "vitest";
import { TIERED_API_VERSIONS, TIERED_POLICY_KINDS as ENGINE_TIERED_POLICY_KINDS, POLICY_API_GROUP } from "../../src/engine/index.js";
import { compareVersionPreference, KINDS, OBJECT_KINDS, POLICY_KINDS, preferredApiVersion, TIERED_POLICY_KINDS } from "../../src/domain/kinds.js";

describe("the kind table", () => {
  it("takes the tiered kinds, their group and versions from the engine", () => {
    expect(TIERED_POLICY_KINDS).toEqual(ENGINE_TIERED_POLICY_KINDS);
    expect(POLICY_KINDS).toEqual(["NetworkPolicy", ...ENGINE_TIERED_POLICY_KINDS]);
    expect(OBJECT_KINDS).toEqual(["Namespace", "Pod", "NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"]);
    for (const kind of ENGINE_TIERED_POLICY_KINDS) {
      expect(KINDS[kind].group).toBe(POLICY_API_GROUP);
      expect(KINDS[kind].versions.map((v) => `${POLICY_API_GROUP}/${v}`).sort()).toEqual([...TIERED_API_VERSIONS[kind]].sort());
      expect(KINDS[kind]).toMatchObject({ clusterScoped: true, crd: true });
    }
  });

  it("reads the newest served version first", () => {
    expect(KINDS.ClusterNetworkPolicy.versions).toEqual(["v1beta1", "v1alpha2"]);
    expect(["v1alpha1", "v1", "v2beta1", "v1beta2", "v1alpha2"].sort(compareVersionPreference)).toEqual(["v1", "v2beta1", "v1beta2", "v1alpha2", "v1alpha1"]);
  });

  it("names the preferred apiVersion", () => {
    expect(preferredApiVersion("NetworkPolicy")).toBe("networking.k8s.io/v1");
    expect(preferredApiVersion("Pod")).toBe("v1");
    expect(preferredApiVersion("AdminNetworkPolicy")).toBe("policy.networking.k8s.io/v1alpha1");
  });
});
