/**
 * `who-can-reach` and `reachable-from` output: the peers (workloads, external ranges) of a
 * workload and their connections: the sources (`src`) of one, or the destinations (`dst`).
 */
import { formatConnEndpoint, type ConnectivityRow } from "../../engine/index.js";
import { UnreachableFormat } from "./common.js";

import { SOURCES_FORMATS, type SourcesFormat } from "./formats.js";
export { SOURCES_FORMATS, type SourcesFormat };

export function formatSources(rows: readonly ConnectivityRow[], format: SourcesFormat): string {
  return formatPeers(rows, format, "src");
}

export function formatPeers(rows: readonly ConnectivityRow[], format: SourcesFormat, side: "src" | "dst"): string {
  const records = rows.map((r) => ({ [side]: formatConnEndpoint(r[side]), conn: r.conn.key }));
  switch (format) {
    case "text":
      return records.map((r) => `${r[side]} : ${r.conn}\n`).join("");
    case "json":
      return `${JSON.stringify(records, null, 2)}\n`;
    default:
      throw new UnreachableFormat(format);
  }
}
