/**
 * Kubernetes object names, as the API server checks them (k8s.io/apimachinery
 * pkg/util/validation: IsDNS1123Label, IsDNS1123Subdomain; pkg/api/validation: NameIsDNSLabel for
 * Namespace, NameIsDNSSubdomain for Pod, NetworkPolicy, workloads and custom resources such as
 * AdminNetworkPolicy). A manifest with a name the API server would refuse is refused here too,
 * naming the field, so an analysis never reports on an object that cannot exist. Pure.
 */
import type { ObjectContext } from "./validation.js";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export type NameRule = "dns-label" | "dns-subdomain";

export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && DNS1123_LABEL.test(name);
}

export function isDns1123Subdomain(name: string): boolean {
  return name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
}

/** Reports an INVALID_NAME error and returns false when `name` breaks `rule`. */
export function checkName(name: unknown, rule: NameRule, field: string, ctx: ObjectContext): boolean {
  const ok = typeof name === "string" && (rule === "dns-label" ? isDns1123Label(name) : isDns1123Subdomain(name));
  if (!ok) {
    const what =
      rule === "dns-label"
        ? "a DNS-1123 label: at most 63 characters, lowercase letters, digits and '-', starting and ending with a letter or digit"
        : "a DNS-1123 subdomain: at most 253 characters, lowercase letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit";
    ctx.error("INVALID_NAME", field, `${JSON.stringify(name)} is not a valid name: it must be ${what}`);
  }
  return ok;
}
