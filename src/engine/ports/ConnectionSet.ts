/**
 * The connections allowed between two endpoints: for each protocol, a PortSet.
 * Invariant: immutable; `key` is canonical, so two sets are equal iff their keys are equal.
 */
import { PROTOCOLS, type Protocol } from "../model/protocol.js";
import { PortSet } from "./PortSet.js";

type PerProtocol = Readonly<Record<Protocol, PortSet>>;

export class ConnectionSet {
  static readonly NONE = new ConnectionSet({ SCTP: PortSet.EMPTY, TCP: PortSet.EMPTY, UDP: PortSet.EMPTY });
  static readonly ALL = new ConnectionSet({ SCTP: PortSet.ALL, TCP: PortSet.ALL, UDP: PortSet.ALL });

  private cachedKey: string | undefined;
  /**
   * Known at construction (the sets are immutable): union and intersect ask both for every pair a
   * matrix evaluates, and a check over PROTOCOLS with a closure each time was a measurable share of
   * the garbage an incremental recompute makes.
   */
  private readonly empty: boolean;
  private readonly all: boolean;

  private constructor(private readonly ports: PerProtocol) {
    this.empty = ports.SCTP.isEmpty() && ports.TCP.isEmpty() && ports.UDP.isEmpty();
    this.all = ports.SCTP.isAll() && ports.TCP.isAll() && ports.UDP.isAll();
  }

  static of(protocol: Protocol, ports: PortSet): ConnectionSet {
    if (ports.isEmpty()) return ConnectionSet.NONE;
    return new ConnectionSet({ ...ConnectionSet.NONE.ports, [protocol]: ports });
  }

  static fromPorts(ports: Partial<Record<Protocol, PortSet>>): ConnectionSet {
    return new ConnectionSet({ ...ConnectionSet.NONE.ports, ...ports }).normalized();
  }

  portsFor(protocol: Protocol): PortSet {
    return this.ports[protocol];
  }

  isEmpty(): boolean {
    return this.empty;
  }

  isAll(): boolean {
    return this.all;
  }

  contains(port: number, protocol: Protocol): boolean {
    return this.ports[protocol].contains(port);
  }

  union(other: ConnectionSet): ConnectionSet {
    if (other === this || other.empty || this.all) return this;
    if (this.empty || other.all) return other;
    const [a, b] = [this.ports, other.ports];
    return new ConnectionSet({ SCTP: a.SCTP.union(b.SCTP), TCP: a.TCP.union(b.TCP), UDP: a.UDP.union(b.UDP) }).normalized();
  }

  intersect(other: ConnectionSet): ConnectionSet {
    if (other === this || this.empty || other.all) return this;
    if (other.empty || this.all) return other;
    const [a, b] = [this.ports, other.ports];
    return new ConnectionSet({ SCTP: a.SCTP.intersect(b.SCTP), TCP: a.TCP.intersect(b.TCP), UDP: a.UDP.intersect(b.UDP) }).normalized();
  }

  subtract(other: ConnectionSet): ConnectionSet {
    if (other.empty || this.empty) return this;
    const [a, b] = [this.ports, other.ports];
    return new ConnectionSet({ SCTP: a.SCTP.subtract(b.SCTP), TCP: a.TCP.subtract(b.TCP), UDP: a.UDP.subtract(b.UDP) }).normalized();
  }

  complement(): ConnectionSet {
    return ConnectionSet.ALL.subtract(this);
  }

  equals(other: ConnectionSet): boolean {
    return this.key === other.key;
  }

  isSubsetOf(other: ConnectionSet): boolean {
    return this.subtract(other).isEmpty();
  }

  /** Canonical text, also the display form: `All Connections`, `No Connections` or `TCP 80,8080-8090,UDP 53`. */
  get key(): string {
    if (this.cachedKey === undefined) this.cachedKey = this.render();
    return this.cachedKey;
  }

  toString(): string {
    return this.key;
  }

  private render(): string {
    if (this.isAll()) return "All Connections";
    if (this.isEmpty()) return "No Connections";
    return PROTOCOLS.filter((p) => !this.ports[p].isEmpty())
      .map((p) => `${p} ${this.ports[p].toString()}`)
      .join(",");
  }

  private normalized(): ConnectionSet {
    if (this.empty) return ConnectionSet.NONE;
    if (this.all) return ConnectionSet.ALL;
    return this;
  }
}

/**
 * Parses the display form back (`TCP 80,8080-8090,UDP 53`, `All Connections`, `No Connections`).
 * Used for stored matrices and tests; throws on text that is not in that form.
 */
export function parseConnectionSet(text: string): ConnectionSet {
  const t = text.trim();
  if (t === "All Connections") return ConnectionSet.ALL;
  if (t === "No Connections" || t === "") return ConnectionSet.NONE;
  const parts: Partial<Record<Protocol, PortSet>> = {};
  let current: Protocol | undefined;
  for (const token of t.split(",")) {
    const m = /^(?:(SCTP|TCP|UDP) )?(\d+)(?:-(\d+))?$/.exec(token.trim());
    if (!m) throw new Error(`not a connection set: ${JSON.stringify(text)}`);
    current = (m[1] as Protocol | undefined) ?? current;
    if (!current) throw new Error(`not a connection set: ${JSON.stringify(text)}`);
    const from = Number(m[2]);
    const to = m[3] === undefined ? from : Number(m[3]);
    if (from < 1 || to > 65535 || to < from) throw new Error(`not a connection set: ${JSON.stringify(text)} (port range ${token.trim()} is not within 1-65535)`);
    parts[current] = (parts[current] ?? PortSet.EMPTY).union(PortSet.range(from, to));
  }
  return ConnectionSet.fromPorts(parts);
}
