/**
 * networking.k8s.io/v1 NetworkPolicy -> CompiledNetworkPolicy. Applies the API server's defaulting
 * (policyTypes, protocol TCP) and validation (peers, ipBlock, ports); an invalid policy compiles to
 * undefined with error diagnostics naming the field, exactly as the API server would refuse it.
 */
import { isProtocol, type Protocol } from "../model/protocol.js";
import { policyKey, type PolicyRef } from "../model/ids.js";
import type { NetworkPolicyInput } from "../model/input.js";
import { parseCidr } from "../net/ip.js";
import { IpSet } from "../net/IpSet.js";
import { compileLabelSelector, LabelSelector } from "../selectors/LabelSelector.js";
import type { CompiledNetworkPolicy, CompiledPeer, CompiledPort, CompiledRule, Direction } from "./model.js";
import { isRecord, isValidPortName, isValidPortNumber, type ObjectContext } from "./validation.js";
import { appendAll } from "../util/appendAll.js";

export interface PeerIds {
  next(): number;
}

export function compileNetworkPolicy(
  input: NetworkPolicyInput,
  index: number,
  ctx: ObjectContext,
  ids: PeerIds,
  peersOut: CompiledPeer[],
): CompiledNetworkPolicy | undefined {
  const ref: PolicyRef = { kind: "NetworkPolicy", namespace: input.namespace, name: input.name };
  const spec = input.spec;
  if (!isRecord(spec)) return ctx.error("INVALID_OBJECT", "spec", "a NetworkPolicy needs a spec object");
  if (!ctx.onlyKnownFields(spec, "spec", ["podSelector", "policyTypes", "ingress", "egress"])) return undefined;

  const podSelector =
    spec["podSelector"] === undefined || spec["podSelector"] === null
      ? LabelSelector.EVERYTHING
      : compileLabelSelector(spec["podSelector"], "spec.podSelector", ctx);
  if (!podSelector) return undefined;

  const types = effectivePolicyTypes(spec, ctx);
  if (!types) return undefined;

  const localPeers: CompiledPeer[] = [];
  const rules = (direction: Direction): CompiledRule[] | undefined => {
    const key = direction === "ingress" ? "ingress" : "egress";
    const raw = spec[key];
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) return ctx.error("INVALID_OBJECT", `spec.${key}`, `spec.${key} must be a list of rules`);
    const out: CompiledRule[] = [];
    for (const [i, r] of raw.entries()) {
      const rule = compileRule(r, direction, i, input.namespace, ctx, ids, localPeers);
      if (!rule) return undefined;
      out.push(rule);
    }
    return out;
  };
  // Rules of a direction outside policyTypes are still validated (the API server does) but ignored.
  const ingress = rules("ingress");
  const egress = rules("egress");
  if (!ingress || !egress) return undefined;
  appendAll(peersOut, localPeers);
  return {
    index,
    ref,
    key: policyKey(ref),
    namespace: input.namespace,
    podSelector,
    ingress: types.has("Ingress") ? ingress : undefined,
    egress: types.has("Egress") ? egress : undefined,
    origin: input.origin,
  };
}

/**
 * Omitted or empty policyTypes default to Ingress, plus Egress iff the policy has egress rules
 * (`len(spec.egress) != 0`, SetDefaults_NetworkPolicy): `egress: []` does not isolate egress.
 */
function effectivePolicyTypes(spec: Record<string, unknown>, ctx: ObjectContext): Set<string> | undefined {
  const raw = spec["policyTypes"];
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    const egress = spec["egress"];
    return new Set(Array.isArray(egress) && egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"]);
  }
  if (!Array.isArray(raw)) return ctx.error("INVALID_POLICY_TYPE", "spec.policyTypes", "policyTypes must be a list");
  // ValidateNetworkPolicySpec rejects more than two entries (even repeated valid ones) before checking values.
  if (raw.length > 2) return ctx.error("INVALID_POLICY_TYPE", "spec.policyTypes", "may not specify more than two policyTypes");
  const out = new Set<string>();
  for (const [i, t] of raw.entries()) {
    if (t !== "Ingress" && t !== "Egress")
      return ctx.error("INVALID_POLICY_TYPE", `spec.policyTypes[${i}]`, `unsupported policy type ${JSON.stringify(t)}: must be "Ingress" or "Egress"`);
    out.add(t);
  }
  return out;
}

function compileRule(
  raw: unknown,
  direction: Direction,
  index: number,
  namespace: string,
  ctx: ObjectContext,
  ids: PeerIds,
  peersOut: CompiledPeer[],
): CompiledRule | undefined {
  const field = `spec.${direction}[${index}]`;
  const peerKey = direction === "ingress" ? "from" : "to";
  if (raw === null || raw === undefined) return { direction, index, field, peers: "any", ports: "any" };
  if (!isRecord(raw)) return ctx.error("INVALID_OBJECT", field, "a rule must be an object");
  if (!ctx.onlyKnownFields(raw, field, [peerKey, "ports"])) return undefined;

  let peers: CompiledPeer[] | "any" = "any";
  const rawPeers = raw[peerKey];
  if (rawPeers !== undefined && rawPeers !== null) {
    if (!Array.isArray(rawPeers)) return ctx.error("INVALID_PEER", `${field}.${peerKey}`, `${peerKey} must be a list of peers`);
    if (rawPeers.length > 0) {
      peers = [];
      for (const [i, p] of rawPeers.entries()) {
        const peer = compilePeer(p, `${field}.${peerKey}[${i}]`, namespace, ctx, ids);
        if (!peer) return undefined;
        peers.push(peer);
        peersOut.push(peer);
      }
    }
  }

  let ports: CompiledPort[] | "any" = "any";
  const rawPorts = raw["ports"];
  if (rawPorts !== undefined && rawPorts !== null) {
    if (!Array.isArray(rawPorts)) return ctx.error("INVALID_PORT", `${field}.ports`, "ports must be a list");
    if (rawPorts.length > 0) {
      ports = [];
      for (const [i, p] of rawPorts.entries()) {
        const port = compilePort(p, `${field}.ports[${i}]`, ctx);
        if (!port) return undefined;
        ports.push(port);
      }
    }
  }
  return { direction, index, field, peers, ports };
}

function compilePeer(raw: unknown, field: string, namespace: string, ctx: ObjectContext, ids: PeerIds): CompiledPeer | undefined {
  if (!isRecord(raw)) return ctx.error("INVALID_PEER", field, "a peer must be an object");
  if (!ctx.onlyKnownFields(raw, field, ["podSelector", "namespaceSelector", "ipBlock"])) return undefined;
  const has = (k: string) => raw[k] !== undefined && raw[k] !== null;
  if (has("ipBlock")) {
    if (has("podSelector") || has("namespaceSelector"))
      return ctx.error("INVALID_PEER", field, "ipBlock cannot be combined with podSelector or namespaceSelector in one peer");
    return compileIpBlock(raw["ipBlock"], `${field}.ipBlock`, ctx, ids);
  }
  if (!has("podSelector") && !has("namespaceSelector"))
    return ctx.error("INVALID_PEER", field, "a peer must set at least one of podSelector, namespaceSelector or ipBlock");
  const podSelector = has("podSelector") ? compileLabelSelector(raw["podSelector"], `${field}.podSelector`, ctx) : LabelSelector.EVERYTHING;
  if (!podSelector) return undefined;
  let namespaceSelector: LabelSelector | undefined;
  if (has("namespaceSelector")) {
    namespaceSelector = compileLabelSelector(raw["namespaceSelector"], `${field}.namespaceSelector`, ctx);
    if (!namespaceSelector) return undefined;
  }
  const scope = namespaceSelector ? `nsSel(${namespaceSelector.key})` : `ns(${namespace})`;
  return {
    kind: "selector",
    id: ids.next(),
    podSelector,
    namespaceSelector,
    policyNamespace: namespace,
    matchKey: `${scope}/pods(${podSelector.key})`,
  };
}

function compileIpBlock(raw: unknown, field: string, ctx: ObjectContext, ids: PeerIds): CompiledPeer | undefined {
  if (!isRecord(raw)) return ctx.error("INVALID_CIDR", field, "ipBlock must be an object with cidr and optional except");
  if (!ctx.onlyKnownFields(raw, field, ["cidr", "except"])) return undefined;
  const cidrText = raw["cidr"];
  if (typeof cidrText !== "string" || cidrText === "") return ctx.error("INVALID_CIDR", `${field}.cidr`, "cidr is required");
  const cidr = parseCidr(cidrText);
  if (!cidr) return ctx.error("INVALID_CIDR", `${field}.cidr`, `${JSON.stringify(cidrText)} is not a valid CIDR (e.g. 10.0.0.0/16 or fd00::/8)`);
  let set = IpSet.of(cidr.range);
  const exceptRaw = raw["except"];
  const except: string[] = [];
  if (exceptRaw !== undefined && exceptRaw !== null) {
    if (!Array.isArray(exceptRaw)) return ctx.error("INVALID_EXCEPT", `${field}.except`, "except must be a list of CIDRs");
    for (const [i, e] of exceptRaw.entries()) {
      const at = `${field}.except[${i}]`;
      const ex = typeof e === "string" ? parseCidr(e) : undefined;
      if (!ex) return ctx.error("INVALID_EXCEPT", at, `${JSON.stringify(e)} is not a valid CIDR`);
      // ValidateIPBlock: every except must be a strict subset of cidr.
      const inside = ex.range.family === cidr.range.family && ex.range.start >= cidr.range.start && ex.range.end <= cidr.range.end;
      if (!inside || ex.prefix <= cidr.prefix)
        return ctx.error("INVALID_EXCEPT", at, `${e} must be a strict subset of cidr ${cidrText}`);
      except.push(e as string);
      set = set.subtract(IpSet.of(ex.range));
    }
  }
  return { kind: "ipBlock", id: ids.next(), cidr: cidrText, except, set };
}

function compilePort(raw: unknown, field: string, ctx: ObjectContext): CompiledPort | undefined {
  // A null entry decodes to a zero-valued NetworkPolicyPort upstream, which defaulting makes "TCP, any port".
  if (raw === null) return { kind: "any", protocol: "TCP" };
  if (!isRecord(raw)) return ctx.error("INVALID_PORT", field, "a port entry must be an object with protocol, port and endPort");
  if (!ctx.onlyKnownFields(raw, field, ["protocol", "port", "endPort"])) return undefined;
  const protoRaw = raw["protocol"] ?? "TCP";
  if (!isProtocol(protoRaw)) return ctx.error("INVALID_PROTOCOL", `${field}.protocol`, `unsupported protocol ${JSON.stringify(protoRaw)}: must be TCP, UDP or SCTP`);
  const protocol: Protocol = protoRaw;
  const port = raw["port"];
  const endPort = raw["endPort"];
  const hasEnd = endPort !== undefined && endPort !== null;
  if (port === undefined || port === null) {
    if (hasEnd) return ctx.error("INVALID_END_PORT", `${field}.endPort`, "endPort may not be set without port");
    return { kind: "any", protocol };
  }
  if (typeof port === "string") {
    if (!isValidPortName(port))
      return ctx.error(
        "INVALID_PORT",
        `${field}.port`,
        `${JSON.stringify(port)} is not a valid port name (IANA_SVC_NAME: at most 15 lowercase letters, digits and '-', with at least one letter); write numbers unquoted`,
      );
    if (hasEnd) return ctx.error("INVALID_END_PORT", `${field}.endPort`, "endPort may only be set with a numeric port, not a named one");
    return { kind: "named", protocol, name: port };
  }
  if (!isValidPortNumber(port)) return ctx.error("INVALID_PORT", `${field}.port`, `port ${JSON.stringify(port)} is out of range: must be 1-65535`);
  if (!hasEnd) return { kind: "range", protocol, from: port, to: port };
  if (!isValidPortNumber(endPort)) return ctx.error("INVALID_END_PORT", `${field}.endPort`, `endPort ${JSON.stringify(endPort)} is out of range: must be 1-65535`);
  if (endPort < port) return ctx.error("INVALID_END_PORT", `${field}.endPort`, `endPort ${endPort} must be greater than or equal to port ${port}`);
  return { kind: "range", protocol, from: port, to: endPort };
}
