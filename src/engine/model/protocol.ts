/** Transport protocols a NetworkPolicy can name, in the order the connectivity list prints them. */
export const PROTOCOLS = ["SCTP", "TCP", "UDP"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export function isProtocol(value: unknown): value is Protocol {
  return typeof value === "string" && (PROTOCOLS as readonly string[]).includes(value);
}

export const MIN_PORT = 1;
export const MAX_PORT = 65535;
