/** The connectivity list (`src => dst : conn`) in each output format of `analyze`. */
import { formatConnEndpoint, type ConnectivityRow, type WorkloadRef } from "../../engine/index.js";
import { UnreachableFormat } from "./common.js";
import { toDot } from "./dot.js";
import { toCsv, toMarkdown } from "./table.js";

import { CONNECTIVITY_FORMATS, type ConnectivityFormat } from "./formats.js";
export { CONNECTIVITY_FORMATS, type ConnectivityFormat };

export interface ConnRecord {
  readonly src: string;
  readonly dst: string;
  readonly conn: string;
}

export function toConnRecords(rows: readonly ConnectivityRow[]): ConnRecord[] {
  return rows.map((r) => ({ src: formatConnEndpoint(r.src), dst: formatConnEndpoint(r.dst), conn: r.conn.key }));
}

export function formatConnectivity(rows: readonly ConnectivityRow[], format: ConnectivityFormat, workloads: readonly WorkloadRef[] = []): string {
  const records = toConnRecords(rows);
  const cells = records.map((r) => [r.src, r.dst, r.conn]);
  switch (format) {
    case "text":
      return records.map((r) => `${r.src} => ${r.dst} : ${r.conn}\n`).join("");
    case "json":
      return `${JSON.stringify(records, null, 2)}\n`;
    case "csv":
      return toCsv(["src", "dst", "conn"], cells);
    case "md":
      return toMarkdown(["src", "dst", "conn"], cells);
    case "dot":
      return toDot(rows, workloads);
    default:
      throw new UnreachableFormat(format);
  }
}
