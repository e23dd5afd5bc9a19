/**
 * Cluster-scoped tiered policies -> CompiledTieredPolicy, one model for both API versions:
 * AdminNetworkPolicy / BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1, `ports`,
 * actions Allow/Deny/Pass) and ClusterNetworkPolicy (v1alpha2 and v1beta1, `tier`, `protocols`,
 * actions Accept/Deny/Pass). Validation follows the CRDs' OpenAPI and CEL rules (required fields,
 * exactly-one-of peers and ports, 0-1000 priorities, item limits); an object the API server would
 * refuse compiles to undefined with error diagnostics, like compileNetworkPolicy.
 *
 * Peers: `namespaces` and `pods` become selector peers and `networks` an ipBlock-like peer, so they
 * join world.peers and the matrix classes by them exactly as by NetworkPolicy peers. `nodes` and
 * `domainNames` cannot be resolved (no Node objects, no DNS): they compile to UnresolvedPeer with a
 * warning. A peer of a kind this version does not know (a newer CRD) makes the rule fail closed.
 */
import { isProtocol, type Protocol } from "../model/protocol.js";
import { policyKey, type PolicyRef } from "../model/ids.js";
import type { TieredPolicyInput } from "../model/input.js";
import { parseCidr } from "../net/ip.js";
import { IpSet } from "../net/IpSet.js";
import { compileLabelSelector, LabelSelector } from "../selectors/LabelSelector.js";
import type { PeerIds } from "./compilePolicy.js";
import type {
  CompiledPeer,
  CompiledTierPeer,
  CompiledTieredPolicy,
  CompiledTierRule,
  Direction,
  SelectorPeer,
  Tier,
  TierAction,
  TieredPolicyKind,
  TierPort,
  TierSubject,
} from "./model.js";
import { isRecord, isValidPortNumber, type ObjectContext } from "./validation.js";
import { appendAll } from "../util/appendAll.js";

import { POLICY_API_GROUP, TIERED_API_VERSIONS } from "../model/tieredKinds.js";
export { POLICY_API_GROUP, TIERED_API_VERSIONS };

/** What differs between the two API versions; everything else is shared. */
interface Dialect {
  readonly kind: TieredPolicyKind;
  /** Written action -> normalised action. */
  readonly actions: Readonly<Record<string, TierAction>>;
  /** `ports` (v1alpha1) or `protocols` (v1alpha2). */
  readonly portsField: "ports" | "protocols";
  readonly maxRules: number;
  readonly maxPeers: number;
  readonly ingressPeers: readonly string[];
  readonly egressPeers: readonly string[];
}

const V1ALPHA1_INGRESS_PEERS = ["namespaces", "pods"];
const DIALECTS: Readonly<Record<TieredPolicyKind, Dialect>> = {
  AdminNetworkPolicy: {
    kind: "AdminNetworkPolicy",
    actions: { Allow: "accept", Deny: "deny", Pass: "pass" },
    portsField: "ports",
    maxRules: 100,
    maxPeers: 100,
    ingressPeers: V1ALPHA1_INGRESS_PEERS,
    egressPeers: ["namespaces", "pods", "nodes", "networks", "domainNames"],
  },
  BaselineAdminNetworkPolicy: {
    kind: "BaselineAdminNetworkPolicy",
    actions: { Allow: "accept", Deny: "deny" },
    portsField: "ports",
    maxRules: 100,
    maxPeers: 100,
    ingressPeers: V1ALPHA1_INGRESS_PEERS,
    egressPeers: ["namespaces", "pods", "nodes", "networks"],
  },
  ClusterNetworkPolicy: {
    kind: "ClusterNetworkPolicy",
    actions: { Accept: "accept", Deny: "deny", Pass: "pass" },
    portsField: "protocols",
    maxRules: 25,
    maxPeers: 25,
    ingressPeers: ["namespaces", "pods"],
    egressPeers: ["namespaces", "pods", "nodes", "networks", "domainNames"],
  },
};

export function isTieredPolicyKind(kind: string): kind is TieredPolicyKind {
  return Object.hasOwn(DIALECTS, kind);
}

/** `^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$` (the CRD's DomainName pattern). */
const DOMAIN_NAME = /^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$/;

export function compileTieredPolicy(input: TieredPolicyInput, ctx: ObjectContext, ids: PeerIds, peersOut: CompiledPeer[]): Omit<CompiledTieredPolicy, "index"> | undefined {
  if (!isTieredPolicyKind(input.kind)) return ctx.error("INVALID_OBJECT", "kind", `unknown kind ${JSON.stringify(input.kind)}: expected one of ${Object.keys(DIALECTS).join(", ")}`);
  const d = DIALECTS[input.kind];
  const versions = TIERED_API_VERSIONS[d.kind];
  const apiVersion = input.apiVersion ?? versions[0]!;
  if (!versions.includes(apiVersion)) return ctx.error("INVALID_OBJECT", "apiVersion", `${d.kind} is served as ${versions.join(" or ")}, not ${apiVersion}`);
  // BaselineAdminNetworkPolicy is a singleton (CEL: self.metadata.name == 'default').
  if (d.kind === "BaselineAdminNetworkPolicy" && input.name !== "default")
    return ctx.error("INVALID_NAME", "metadata.name", `only one BaselineAdminNetworkPolicy can exist and it must be named "default" (got ${JSON.stringify(input.name)})`);
  const ref: PolicyRef = { kind: d.kind, namespace: "", name: input.name };
  const spec = input.spec;
  if (!isRecord(spec)) return ctx.error("INVALID_OBJECT", "spec", `a ${d.kind} needs a spec object`);
  const known = d.kind === "ClusterNetworkPolicy" ? ["tier", "priority", "subject", "ingress", "egress"] : d.kind === "AdminNetworkPolicy" ? ["priority", "subject", "ingress", "egress"] : ["subject", "ingress", "egress"];
  if (!ctx.onlyKnownFields(spec, "spec", known)) return undefined;

  let tier: Tier = d.kind === "AdminNetworkPolicy" ? "admin" : "baseline";
  if (d.kind === "ClusterNetworkPolicy") {
    const t = spec["tier"];
    if (t !== "Admin" && t !== "Baseline") return ctx.error("INVALID_TIER", "spec.tier", `tier must be "Admin" or "Baseline" (got ${JSON.stringify(t)})`);
    tier = t === "Admin" ? "admin" : "baseline";
  }
  let priority: number | undefined;
  if (d.kind !== "BaselineAdminNetworkPolicy") {
    const p = spec["priority"];
    if (typeof p !== "number" || !Number.isInteger(p) || p < 0 || p > 1000)
      return ctx.error("INVALID_PRIORITY", "spec.priority", `priority is required: an integer from 0 to 1000 (got ${JSON.stringify(p)})`);
    priority = p;
  }
  const subject = compileSubject(spec["subject"], ctx);
  if (!subject) return undefined;

  const localPeers: CompiledPeer[] = [];
  const rules = (direction: Direction): CompiledTierRule[] | undefined => {
    const raw = spec[direction];
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) return ctx.error("INVALID_OBJECT", `spec.${direction}`, `spec.${direction} must be a list of rules`);
    if (raw.length > d.maxRules) return ctx.error("INVALID_OBJECT", `spec.${direction}`, `at most ${d.maxRules} ${direction} rules are allowed in a ${d.kind} (got ${raw.length})`);
    const out: CompiledTierRule[] = [];
    for (const [i, r] of raw.entries()) {
      const rule = compileTierRule(r, { d, direction, index: i, ctx, ids, peersOut: localPeers });
      if (!rule) return undefined;
      out.push(rule);
    }
    return out;
  };
  const ingress = rules("ingress");
  const egress = rules("egress");
  if (!ingress || !egress) return undefined;
  appendAll(peersOut, localPeers);
  return { ref, key: policyKey(ref), kind: d.kind, apiVersion, tier, priority, subject, ingress, egress, origin: input.origin };
}

/** Exactly one of `namespaces` (a namespace selector) or `pods` (namespaceSelector AND podSelector). */
function compileSubject(raw: unknown, ctx: ObjectContext): TierSubject | undefined {
  if (!isRecord(raw)) return ctx.error("INVALID_SUBJECT", "spec.subject", "subject is required: an object with exactly one of namespaces or pods");
  if (!ctx.onlyKnownFields(raw, "spec.subject", ["namespaces", "pods"])) return undefined;
  const set = Object.keys(raw).filter((k) => raw[k] !== undefined && raw[k] !== null);
  if (set.length !== 1) return ctx.error("INVALID_SUBJECT", "spec.subject", `exactly one of namespaces or pods must be set (got ${set.length === 0 ? "none" : set.join(" and ")})`);
  if (set[0] === "namespaces") {
    const namespaceSelector = compileLabelSelector(raw["namespaces"], "spec.subject.namespaces", ctx);
    return namespaceSelector && { namespaceSelector, podSelector: LabelSelector.EVERYTHING };
  }
  return compileNamespacedPod(raw["pods"], "spec.subject.pods", ctx);
}

/** NamespacedPod: podSelector is required; an omitted namespaceSelector is the empty selector (all namespaces). */
function compileNamespacedPod(raw: unknown, field: string, ctx: ObjectContext): TierSubject | undefined {
  if (!isRecord(raw)) return ctx.error("INVALID_PEER", field, "pods must be an object with namespaceSelector and podSelector");
  if (!ctx.onlyKnownFields(raw, field, ["namespaceSelector", "podSelector"])) return undefined;
  if (raw["podSelector"] === undefined || raw["podSelector"] === null) return ctx.error("INVALID_PEER", `${field}.podSelector`, "podSelector is required ({} selects every pod)");
  const podSelector = compileLabelSelector(raw["podSelector"], `${field}.podSelector`, ctx);
  if (!podSelector) return undefined;
  const nsRaw = raw["namespaceSelector"];
  const namespaceSelector = nsRaw === undefined || nsRaw === null ? LabelSelector.EVERYTHING : compileLabelSelector(nsRaw, `${field}.namespaceSelector`, ctx);
  return namespaceSelector && { namespaceSelector, podSelector };
}

interface RuleContext {
  readonly d: Dialect;
  readonly direction: Direction;
  readonly index: number;
  readonly ctx: ObjectContext;
  readonly ids: PeerIds;
  readonly peersOut: CompiledPeer[];
}

function compileTierRule(raw: unknown, rc: RuleContext): CompiledTierRule | undefined {
  const { d, direction, index, ctx } = rc;
  const field = `spec.${direction}[${index}]`;
  const peerKey = direction === "ingress" ? "from" : "to";
  if (!isRecord(raw)) return ctx.error("INVALID_OBJECT", field, "a rule must be an object with action and " + peerKey);
  if (!ctx.onlyKnownFields(raw, field, ["name", "action", peerKey, d.portsField])) return undefined;

  const nameRaw = raw["name"];
  if (nameRaw !== undefined && nameRaw !== null && (typeof nameRaw !== "string" || nameRaw.length > 100))
    return ctx.error("INVALID_NAME", `${field}.name`, "a rule name must be a string of at most 100 characters");
  const name = typeof nameRaw === "string" && nameRaw !== "" ? nameRaw : undefined;

  const actionRaw = raw["action"];
  const action = typeof actionRaw === "string" && Object.hasOwn(d.actions, actionRaw) ? d.actions[actionRaw] : undefined;
  if (!action) return ctx.error("INVALID_ACTION", `${field}.action`, `action must be one of ${Object.keys(d.actions).join(", ")} (got ${JSON.stringify(actionRaw)})`);

  const ports = compileTierPorts(raw[d.portsField], `${field}.${d.portsField}`, d, ctx);
  if (!ports) return undefined;

  const peersRaw = raw[peerKey];
  if (!Array.isArray(peersRaw) || peersRaw.length === 0)
    return ctx.error("INVALID_PEER", `${field}.${peerKey}`, `${peerKey} is required and must list at least one peer`);
  if (peersRaw.length > d.maxPeers) return ctx.error("INVALID_PEER", `${field}.${peerKey}`, `at most ${d.maxPeers} peers are allowed (got ${peersRaw.length})`);
  const allowed = direction === "ingress" ? d.ingressPeers : d.egressPeers;
  const peers: CompiledTierPeer[] = [];
  let failClosed = false;
  for (const [i, p] of peersRaw.entries()) {
    const at = `${field}.${peerKey}[${i}]`;
    const peer = compileTierPeer(p, at, allowed, rc);
    if (peer === undefined) return undefined;
    if (peer === "unknown") {
      failClosed = true;
      continue;
    }
    if (peer.kind === "domainNames" && action !== "accept")
      return ctx.error("INVALID_PEER", `${at}.domainNames`, `domainNames peers are only allowed in ${d.kind === "ClusterNetworkPolicy" ? "Accept" : "Allow"} rules`);
    peers.push(peer);
  }
  // CEL: networks/nodes/domainNames peers have no named ports.
  const named = ports !== "any" && ports.some((p) => p.kind === "namedAny");
  if (named && peers.some((p) => p.kind !== "selector"))
    return ctx.error("INVALID_PORT", `${field}.${d.portsField}`, "networks/nodes/domainNames peers cannot be combined with named ports: there are no named ports for them");
  if (failClosed) {
    // The API: "For Allow/Accept rules, fail closed means treat the rule as matching no traffic. For Deny and
    // Pass rules, treat the rule as a Deny all rule."
    if (action === "accept") {
      ctx.warning("UNSUPPORTED_PEER", `${field}.${peerKey}`, "a peer of a kind kubereach does not know (a newer CRD?): this Accept rule fails closed, ignoring that peer");
      return { direction, index, field, name, action, peers, ports };
    }
    ctx.warning("UNSUPPORTED_PEER", `${field}.${peerKey}`, `a peer of a kind kubereach does not know (a newer CRD?): this ${action === "pass" ? "Pass" : "Deny"} rule fails closed and is treated as denying everything`);
    return { direction, index, field, name, action: "deny", peers: "any", ports: "any" };
  }
  return { direction, index, field, name, action, peers, ports };
}

/** Exactly one field set. Returns "unknown" for a single field this version does not know (fail closed). */
function compileTierPeer(raw: unknown, field: string, allowed: readonly string[], rc: RuleContext): CompiledTierPeer | "unknown" | undefined {
  const { ctx } = rc;
  if (!isRecord(raw)) return ctx.error("INVALID_PEER", field, `a peer must be an object with exactly one of ${allowed.join(", ")}`);
  const set = Object.keys(raw).filter((k) => raw[k] !== undefined && raw[k] !== null);
  if (set.length !== 1) return ctx.error("INVALID_PEER", field, `exactly one of ${allowed.join(", ")} must be set (got ${set.length === 0 ? "none" : set.join(" and ")})`);
  const key = set[0]!;
  const at = `${field}.${key}`;
  const ALL_KNOWN = ["namespaces", "pods", "nodes", "networks", "domainNames"];
  if (!allowed.includes(key)) {
    if (ALL_KNOWN.includes(key)) return ctx.error("INVALID_PEER", at, `${key} peers are not allowed here (allowed: ${allowed.join(", ")})`);
    return "unknown";
  }
  switch (key) {
    case "namespaces": {
      const namespaceSelector = compileLabelSelector(raw[key], at, ctx);
      return namespaceSelector && selectorPeer({ namespaceSelector, podSelector: LabelSelector.EVERYTHING }, rc);
    }
    case "pods": {
      const s = compileNamespacedPod(raw[key], at, ctx);
      return s && selectorPeer(s, rc);
    }
    case "nodes": {
      const selector = compileLabelSelector(raw[key], at, ctx);
      if (!selector) return undefined;
      ctx.warning("UNRESOLVED_PEER", at, "kubereach holds no Node objects: this nodes peer matches nothing in the matrix, and explanations answer UNKNOWN where it could decide");
      return { kind: "nodes", selector };
    }
    case "networks":
      return compileNetworks(raw[key], at, rc);
    case "domainNames": {
      const names = raw[key];
      if (!Array.isArray(names) || names.length === 0 || names.length > 25) return ctx.error("INVALID_PEER", at, "domainNames must list 1 to 25 domain names");
      for (const [i, n] of names.entries())
        if (typeof n !== "string" || !DOMAIN_NAME.test(n)) return ctx.error("INVALID_PEER", `${at}[${i}]`, `${JSON.stringify(n)} is not a domain name (e.g. example.com or *.example.com)`);
      ctx.warning("UNRESOLVED_PEER", at, "kubereach does not resolve domain names: this peer matches nothing in the matrix, and explanations answer UNKNOWN where it could decide");
      return { kind: "domainNames", names: names as string[] };
    }
  }
  return undefined;
}

function selectorPeer(s: TierSubject, rc: RuleContext): SelectorPeer {
  const peer: SelectorPeer = {
    kind: "selector",
    id: rc.ids.next(),
    podSelector: s.podSelector,
    namespaceSelector: s.namespaceSelector,
    policyNamespace: "",
    // The same key a NetworkPolicy peer with this namespaceSelector and podSelector gets: they match the same pods.
    matchKey: `nsSel(${s.namespaceSelector.key})/pods(${s.podSelector.key})`,
  };
  rc.peersOut.push(peer);
  return peer;
}

/** `networks`: 1-25 CIDRs (host bits are masked, as for ipBlock), matching pod IPs and external addresses alike. */
function compileNetworks(raw: unknown, field: string, rc: RuleContext): CompiledTierPeer | undefined {
  const { ctx } = rc;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 25) return ctx.error("INVALID_CIDR", field, "networks must list 1 to 25 CIDRs");
  let set = IpSet.EMPTY;
  const networks: string[] = [];
  for (const [i, c] of raw.entries()) {
    const cidr = typeof c === "string" ? parseCidr(c) : undefined;
    if (!cidr) return ctx.error("INVALID_CIDR", `${field}[${i}]`, `${JSON.stringify(c)} is not a valid CIDR (e.g. 10.0.0.0/16 or fd00::/8)`);
    set = set.union(IpSet.of(cidr.range));
    networks.push(c as string);
  }
  const peer = { kind: "ipBlock" as const, id: rc.ids.next(), cidr: networks.join(", "), except: [], set, networks };
  rc.peersOut.push(peer);
  return peer;
}

// --- ports -----------------------------------------------------------------------------------------

function compileTierPorts(raw: unknown, field: string, d: Dialect, ctx: ObjectContext): readonly TierPort[] | "any" | undefined {
  if (raw === undefined || raw === null) return "any";
  if (!Array.isArray(raw) || raw.length === 0) return ctx.error("INVALID_PORT", field, `${d.portsField} must list at least one entry when set`);
  const max = d.portsField === "ports" ? 100 : 25;
  if (raw.length > max) return ctx.error("INVALID_PORT", field, `at most ${max} entries are allowed (got ${raw.length})`);
  const out: TierPort[] = [];
  for (const [i, p] of raw.entries()) {
    const port = d.portsField === "ports" ? compileV1alpha1Port(p, `${field}[${i}]`, ctx) : compileProtocol(p, `${field}[${i}]`, ctx);
    if (!port) return undefined;
    out.push(port);
  }
  return out;
}

/** Exactly one key of `raw` set, among `known`; returns it (or reports the problem). */
function exactlyOne(raw: unknown, field: string, known: readonly string[], ctx: ObjectContext): string | undefined {
  if (!isRecord(raw)) return ctx.error("INVALID_PORT", field, `must be an object with exactly one of ${known.join(", ")}`);
  if (!ctx.onlyKnownFields(raw, field, known)) return undefined;
  const set = Object.keys(raw).filter((k) => raw[k] !== undefined && raw[k] !== null);
  if (set.length !== 1) return ctx.error("INVALID_PORT", field, `exactly one of ${known.join(", ")} must be set (got ${set.length === 0 ? "none" : set.join(" and ")})`);
  return set[0];
}

function protocolOf(raw: unknown, field: string, ctx: ObjectContext): Protocol | undefined {
  const p = raw ?? "TCP";
  if (!isProtocol(p)) return ctx.error("INVALID_PROTOCOL", field, `unsupported protocol ${JSON.stringify(p)}: must be TCP, UDP or SCTP`);
  return p;
}

/** v1alpha1 AdminNetworkPolicyPort: portNumber {protocol, port} | namedPort | portRange {protocol, start, end}. */
function compileV1alpha1Port(raw: unknown, field: string, ctx: ObjectContext): TierPort | undefined {
  const key = exactlyOne(raw, field, ["portNumber", "namedPort", "portRange"], ctx);
  if (!key) return undefined;
  const value = (raw as Record<string, unknown>)[key];
  const at = `${field}.${key}`;
  switch (key) {
    case "namedPort":
      if (typeof value !== "string" || value === "") return ctx.error("INVALID_PORT", at, "namedPort must be a container port name");
      return { kind: "namedAny", name: value };
    case "portNumber": {
      if (!isRecord(value)) return ctx.error("INVALID_PORT", at, "portNumber must be an object with protocol and port");
      if (!ctx.onlyKnownFields(value, at, ["protocol", "port"])) return undefined;
      const protocol = protocolOf(value["protocol"], `${at}.protocol`, ctx);
      if (!protocol) return undefined;
      if (!isValidPortNumber(value["port"])) return ctx.error("INVALID_PORT", `${at}.port`, `port ${JSON.stringify(value["port"])} is out of range: must be 1-65535`);
      return { kind: "range", protocol, from: value["port"], to: value["port"] };
    }
    case "portRange": {
      if (!isRecord(value)) return ctx.error("INVALID_PORT", at, "portRange must be an object with protocol, start and end");
      if (!ctx.onlyKnownFields(value, at, ["protocol", "start", "end"])) return undefined;
      const protocol = protocolOf(value["protocol"], `${at}.protocol`, ctx);
      if (!protocol) return undefined;
      return compileRange(value, at, protocol, false, ctx);
    }
  }
  return undefined;
}

/** v1alpha2 ClusterNetworkPolicyProtocol: tcp|udp|sctp {destinationPort: {number}|{range}} | destinationNamedPort. */
function compileProtocol(raw: unknown, field: string, ctx: ObjectContext): TierPort | undefined {
  const key = exactlyOne(raw, field, ["tcp", "udp", "sctp", "destinationNamedPort"], ctx);
  if (!key) return undefined;
  const value = (raw as Record<string, unknown>)[key];
  const at = `${field}.${key}`;
  if (key === "destinationNamedPort") {
    if (typeof value !== "string" || value === "") return ctx.error("INVALID_PORT", at, "destinationNamedPort must be a container port name");
    return { kind: "namedAny", name: value };
  }
  const protocol = key.toUpperCase() as Protocol;
  // The per-protocol structs have MinProperties=1: `tcp: {}` is rejected; destinationPort is the only field.
  if (!isRecord(value)) return ctx.error("INVALID_PORT", at, `${key} must be an object with destinationPort`);
  if (!ctx.onlyKnownFields(value, at, ["destinationPort"])) return undefined;
  const dp = value["destinationPort"];
  if (dp === undefined || dp === null) return ctx.error("INVALID_PORT", `${at}.destinationPort`, `${key} needs a destinationPort (a number or a range)`);
  const which = exactlyOne(dp, `${at}.destinationPort`, ["number", "range"], ctx);
  if (!which) return undefined;
  const v = (dp as Record<string, unknown>)[which];
  if (which === "number") {
    if (!isValidPortNumber(v)) return ctx.error("INVALID_PORT", `${at}.destinationPort.number`, `port ${JSON.stringify(v)} is out of range: must be 1-65535`);
    return { kind: "range", protocol, from: v, to: v };
  }
  if (!isRecord(v)) return ctx.error("INVALID_PORT", `${at}.destinationPort.range`, "range must be an object with start and end");
  if (!ctx.onlyKnownFields(v, `${at}.destinationPort.range`, ["start", "end"])) return undefined;
  return compileRange(v, `${at}.destinationPort.range`, protocol, true, ctx);
}

/** Inclusive range. v1alpha2 enforces start < end (CEL); v1alpha1 documents it without a check, so start == end is accepted there. */
function compileRange(value: Record<string, unknown>, field: string, protocol: Protocol, strict: boolean, ctx: ObjectContext): TierPort | undefined {
  const start = value["start"];
  const end = value["end"];
  if (!isValidPortNumber(start)) return ctx.error("INVALID_PORT", `${field}.start`, `start ${JSON.stringify(start)} is out of range: must be 1-65535`);
  if (!isValidPortNumber(end)) return ctx.error("INVALID_PORT", `${field}.end`, `end ${JSON.stringify(end)} is out of range: must be 1-65535`);
  if (strict ? start >= end : start > end) return ctx.error("INVALID_PORT", field, `start (${start}) must be less than end (${end})`);
  return { kind: "range", protocol, from: start, to: end };
}
