/**
 * GET /api/v1/exports/matrix?cluster&namespace&at&format=json|csv
 *
 * The connectivity list of one generation (the latest, or the one in force at `at`), from
 * QueryService.connectivityRows under the caller's scope, in the notation of the CLI's JSON
 * (`src`, `dst`, `conn`: src/cli/format/connectivity.ts), streamed row by row. The header names
 * the cluster, generation, when it was computed, and the audit chain head at export time.
 * - json: {"format","cluster","generation","computedAt","exportedAt","namespace","chainHead","rows":[{src,dst,conn}...],"count"}
 * - csv:  `# kubereach-matrix-export/v1 cluster=... generation=... computedAt=... chainHead.seq=... chainHead.hash=...`,
 *         then `src,dst,conn` and one row per flow, then `# end count=N`.
 */
import type { Express, Request, Response } from "express";
import { formatConnEndpoint } from "../../engine/index.js";
import { attachment, fileStamp, formatParam, optionalCluster, optionalNamespace, optionalTime, queryParams } from "../http/params.js";
import { streamBody } from "../http/stream.js";
import type { RouteDeps } from "../server.js";
import { commentLine, csvRow, exportHead, MATRIX_FORMAT, MATRIX_FORMATS } from "../../domain/audit/exportFormat.js";

export function registerMatrixExport(app: Express, deps: RouteDeps): void {
  app.get("/api/v1/exports/matrix", async (req: Request, res: Response) => {
    const scope = deps.scopeOf(req);
    const params = queryParams(req, ["cluster", "namespace", "at", "format"]);
    const format = formatParam(params, MATRIX_FORMATS, "json");
    const namespace = optionalNamespace(params);
    const at = optionalTime(params, "at");
    const cluster = optionalCluster(params);
    const { ref, rows } = await deps.query.connectivityRows(scope, { cluster, at, namespace });
    const head = exportHead(await deps.store.revisions.head(ref.cluster));
    const exportedAt = new Date();
    const header = {
      format: MATRIX_FORMAT,
      cluster: ref.cluster,
      generation: ref.generation,
      computedAt: ref.computedAt.toISOString(),
      exportedAt: exportedAt.toISOString(),
      namespace: namespace ?? null,
      chainHead: head,
    };

    res.status(200);
    res.setHeader("content-type", format === "json" ? "application/json; charset=utf-8" : "text/csv; charset=utf-8");
    res.setHeader("content-disposition", attachment(`kubereach-matrix-${ref.cluster}-g${ref.generation}${namespace ? `-${namespace}` : ""}-${fileStamp(exportedAt)}.${format}`));
    await streamBody(req, res, async (out) => {
      if (format === "json") await out.write(`${JSON.stringify(header).slice(0, -1)},"rows":[`);
      else
        await out.write(
          commentLine(MATRIX_FORMAT, [
            ["cluster", ref.cluster],
            ["generation", String(ref.generation)],
            ["computedAt", header.computedAt],
            ["chainHead.seq", head.seq],
            ["chainHead.hash", head.hash],
            ["exportedAt", header.exportedAt],
            ["namespace", namespace],
          ]) + csvRow(["src", "dst", "conn"]),
        );
      let count = 0;
      for (const r of rows) {
        const src = formatConnEndpoint(r.src);
        const dst = formatConnEndpoint(r.dst);
        const conn = r.conn.key;
        if (format === "json") await out.write(`${count === 0 ? "\n" : ",\n"}${JSON.stringify({ src, dst, conn })}`);
        else await out.write(csvRow([src, dst, conn]));
        count++;
      }
      if (format === "json") await out.write(`${count ? "\n" : ""}],"count":${count}}\n`);
      else await out.write(`# end count=${count}\r\n`);
    });
    req.log.info({ export: "matrix", principal: scope.principal, cluster: ref.cluster, generation: ref.generation, namespace, format, count: rows.length }, "matrix exported");
  });
}
