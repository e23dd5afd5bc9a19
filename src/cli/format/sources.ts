/** `who-can-reach` output: the sources (workloads, external ranges) of a workload and their connections. */
import { formatConnEndpoint, type ConnectivityRow } from "../../engine/index.js";
import { UnreachableFormat } from "./common.js";

import { SOURCES_FORMATS, type SourcesFormat } from "./formats.js";
export { SOURCES_FORMATS, type SourcesFormat };

export function formatSources(rows: readonly ConnectivityRow[], format: SourcesFormat): string {
  const records = rows.map((r) => ({ src: formatConnEndpoint(r.src), conn: r.conn.key }));
  switch (format) {
    case "text":
      return records.map((r) => `${r.src} : ${r.conn}\n`).join("");
    case "json":
      return `${JSON.stringify(records, null, 2)}\n`;
    default:
      throw new UnreachableFormat(format);
  }
}
