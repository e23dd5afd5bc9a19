/**
 * GET /api/v1/exports/audit?cluster&namespace&since&until&format=json|ndjson|csv
 *
 * The recorded history (policy and namespace revisions) for auditors, streamed from the store page
 * by page. The chain head is read first: revisions appended during the export are left out, so the
 * file is consistent with the head it names. The caller's token scope applies: a scoped token sees
 * the revisions of its namespaces only, never cluster-scoped ones (namespace ""), and its export is
 * never "complete". Each export is logged as an access to the audit trail.
 */
import type { Express, Request, Response } from "express";
import { BadInputError, NotFoundError } from "../../domain/errors.js";
import type { StoredRevision } from "../../domain/repositories.js";
import { attachment, fileStamp, formatParam, optionalCluster, optionalNamespace, optionalTime, queryParams } from "../http/params.js";
import { streamBody } from "../http/stream.js";
import { canSeeObject, inScope, scopeNamespaces, seesAllNamespaces, type Scope } from "../../domain/scope.js";
import type { RouteDeps } from "../server.js";
import {
  AUDIT_COLUMNS,
  AUDIT_FORMAT,
  AUDIT_FORMATS,
  auditCsvPreamble,
  auditCsvRow,
  csvRow,
  exportHead,
  exportRevision,
  type AuditHeader,
} from "../../domain/audit/exportFormat.js";

const PAGE = 500;

const CONTENT_TYPES = { json: "application/json; charset=utf-8", ndjson: "application/x-ndjson; charset=utf-8", csv: "text/csv; charset=utf-8" } as const;

export function registerAuditExport(app: Express, deps: RouteDeps): void {
  app.get("/api/v1/exports/audit", async (req: Request, res: Response) => {
    const scope = deps.scopeOf(req);
    const params = queryParams(req, ["cluster", "namespace", "since", "until", "format"]);
    const format = formatParam(params, AUDIT_FORMATS, "json");
    const namespace = optionalNamespace(params);
    const since = optionalTime(params, "since");
    const until = optionalTime(params, "until");
    if (since && until && since.getTime() >= until.getTime()) throw new BadInputError(`since (${since.toISOString()}) must be before until (${until.toISOString()})`);
    const cluster = await deps.query.resolveCluster(optionalCluster(params));
    if (namespace && !inScope(scope, namespace)) throw new NotFoundError(`no namespace ${namespace} visible to this token`);
    const head = await deps.store.revisions.head(cluster);
    const exportedAt = new Date();
    const header: AuditHeader = {
      format: AUDIT_FORMAT,
      cluster,
      exportedAt: exportedAt.toISOString(),
      filter: {
        namespace: namespace ?? null,
        since: since?.toISOString() ?? null,
        until: until?.toISOString() ?? null,
        tokenNamespaces: scopeNamespaces(scope),
      },
      complete: !namespace && !since && !until && seesAllNamespaces(scope),
      chainHead: exportHead(head),
    };

    res.status(200);
    res.setHeader("content-type", CONTENT_TYPES[format]);
    res.setHeader("content-disposition", attachment(`kubereach-audit-${cluster}${namespace ? `-${namespace}` : ""}-${fileStamp(exportedAt)}.${format}`));
    let count = 0;
    await streamBody(req, res, async (out) => {
      if (format === "json") await out.write(`${JSON.stringify(header).slice(0, -1)},"revisions":[`);
      else if (format === "ndjson") await out.write(`${JSON.stringify(header)}\n`);
      else await out.write(auditCsvPreamble(header) + csvRow(AUDIT_COLUMNS));
      for await (const r of revisionsOf(deps, cluster, scope, head.seq, { namespace, since, until })) {
        const row = exportRevision(r);
        if (format === "json") await out.write(`${count === 0 ? "\n" : ",\n"}${JSON.stringify(row)}`);
        else if (format === "ndjson") await out.write(`${JSON.stringify(row)}\n`);
        else await out.write(auditCsvRow(row));
        count++;
      }
      if (format === "json") await out.write(`${count ? "\n" : ""}],"count":${count}}\n`);
      else if (format === "ndjson") await out.write(`${JSON.stringify({ end: true, count })}\n`);
      else await out.write(`# end count=${count}\r\n`);
    });
    req.log.info(
      { audit: "export", principal: scope.principal, cluster, format, filter: header.filter, chainHead: header.chainHead, count, complete: header.complete, finished: res.writableFinished },
      "audit trail exported",
    );
  });
}

/** Revisions up to `headSeq` in seq order, filtered by the query and the caller's scope. */
async function* revisionsOf(
  deps: RouteDeps,
  cluster: string,
  scope: Scope,
  headSeq: bigint,
  filter: { namespace?: string; since?: Date; until?: Date },
): AsyncGenerator<StoredRevision> {
  const visible = (r: StoredRevision) => canSeeObject(scope, r);
  if (!filter.namespace && !filter.since && !filter.until) {
    for await (const r of deps.store.revisions.iterate(cluster, { pageSize: PAGE })) {
      if (r.seq > headSeq) return;
      if (visible(r)) yield r;
    }
    return;
  }
  let afterSeq: bigint | undefined;
  for (;;) {
    const page = await deps.store.revisions.list(cluster, { ...filter, afterSeq, limit: PAGE });
    for (const r of page) {
      if (r.seq > headSeq) return;
      if (visible(r)) yield r;
    }
    if (page.length < PAGE) return;
    afterSeq = page[page.length - 1]!.seq;
  }
}
