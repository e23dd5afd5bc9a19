/**
 * `kubereach audit verify`: check the hash chain of the policy history and name the first broken
 * revision, in the database or (--export FILE) in an audit export, offline.
 */
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import { BadInputError, IntegrityError, UsageError } from "../../domain/errors.js";
import type { Anchor } from "../../store/audit/anchor.js";
import type { Store } from "../../domain/repositories.js";
import type { ExportVerification } from "../../api/exports/verify.js";
import type { CliIo } from "../io.js";
import { addStoreOptions, configFromFlags, type ServiceFlags } from "../serviceOptions.js";

const HELP = `
Every recorded change carries sha256(previous hash || canonical JSON of the change), per cluster,
in sequence. verify recomputes the chain from the first revision and reports the first one whose
sequence, link, canonical text or hash does not match (exit code 1), or the verified head. Then
it recomputes every matrix generation's content digest (classes, members, connections) from the
stored rows and checks the generation chain, which binds each digest to the revision chain head
it was committed on: a changed matrix row is reported with its generation.

With --export FILE it verifies a file from GET /api/v1/exports/audit (json, ndjson or csv, detected
from the content) without a database. A complete export (no filter, unscoped token) must hold the
whole chain from seq 1 and end exactly at the chain head its header names. A filtered export can
only show that each row is what was hashed, that rows are in order, that consecutive rows link and
that every row matches the filter: it cannot show that a missing seq was filtered out rather than
deleted. In both cases compare the printed chain head with the one the server reports.

Examples:
  $ kubereach audit verify
  $ kubereach audit verify --cluster-id prod --database-url postgresql://postgres@127.0.0.1:5432/kubereach
  $ curl -sH "Authorization: Bearer $TOKEN" 'http://127.0.0.1:4000/api/v1/exports/audit?format=ndjson' > audit.ndjson
  $ kubereach audit verify --export audit.ndjson`;

export function registerAudit(program: Command, io: CliIo): void {
  const audit = program.command("audit").description("audit history tools");
  const verify = audit
    .command("verify")
    .description("verify the tamper-evident hash chain of the recorded history (in the database, or in an exported file)")
    .addOption(new Option("--cluster <id>", "deprecated: use --cluster-id").hideHelp())
    .option("--export <file>", "verify an audit export file (json, ndjson or csv) offline instead of the database")
    .option("--anchor <file>", "also check the signed chain-head anchors of this file (audit.anchorFile) against the database")
    .option("--anchor-key <pem>", "the Ed25519 key the anchors are signed with (public or private PEM; needed with --anchor)");
  addStoreOptions(verify, "only the cluster stored under this id (default: every cluster); with --export: the export must be of this cluster");
  verify.addHelpText("after", HELP).action(async (opts: ServiceFlags & { cluster?: string; export?: string; anchor?: string; anchorKey?: string }) => {
    if (opts.cluster !== undefined) io.stderr.write("warning: --cluster is deprecated here: use --cluster-id (the stored cluster's id)\n");
    // --cluster-id selects the cluster to verify; it is not a configuration setting here.
    const { clusterId, ...flags } = { ...opts, clusterId: opts.clusterId ?? opts.cluster };
    if (flags.export !== undefined) return verifyExport(io, flags.export, clusterId);
    if ((flags.anchor === undefined) !== (flags.anchorKey === undefined)) throw new UsageError("--anchor and --anchor-key go together: the anchor file and the key it is signed with");
    // Loaded only when asked for: `--help` and the other commands must not load the store.
    const { readAnchors, readPublicKey } = await import("../../store/audit/anchor.js");
    const anchors = flags.anchor !== undefined ? readAnchors(resolve(io.cwd, flags.anchor), readPublicKey(resolve(io.cwd, flags.anchorKey!))) : undefined;
    if (anchors && anchors.problems.length > 0) {
      io.stdout.write(`anchor file ${flags.anchor}: BROKEN: ${anchors.problems.join("; ")}\n`);
    }
    const config = await configFromFlags(flags);
    const { openStore, verifyChain } = await import("../../store/index.js");
    const store = await openStore({ databaseUrl: config.database.url, migrationUrl: config.database.migrationUrl, dataDir: config.database.dataDir });
    try {
      const clusters = (await store.clusters.listClusters()).map((c) => c.id);
      const wanted = clusterId ? [clusterId] : clusters;
      if (clusterId && !clusters.includes(clusterId)) throw new BadInputError(`no cluster ${clusterId} in ${store.description} (clusters: ${clusters.join(", ") || "none"})`);
      let broken = 0;
      for (const c of wanted) {
        const result = await verifyChain(store.revisions.iterate(c));
        if (result.ok) {
          io.stdout.write(`cluster ${c}: OK, ${revisions(result.count)} verified${result.count ? `, head seq ${result.head.seq} ${result.head.hash}` : ""}\n`);
          // Each generation's matrix content, bound to the revision chain it was committed on.
          const generations = await store.matrix.verifyGenerations(c);
          if (generations.ok) {
            const unchained = generations.unchained ? ` (${generations.unchained} older generation(s) predate the generation chain: not verified)` : "";
            io.stdout.write(`cluster ${c}: generations OK, ${generations.verified} verified${generations.head ? `, head generation ${generations.head.generation} ${generations.head.hash}` : ""}${unchained}\n`);
          } else {
            broken++;
            io.stdout.write(`cluster ${c}: generations BROKEN at generation ${generations.generation}: ${generations.reason}; ${generations.verified} generations before it verified\n`);
          }
          if (anchors) broken += await checkAnchors(io, store, c, anchors.anchors.filter((a) => a.cluster === c), result.head);
          continue;
        }
        broken++;
        const [rev] = await store.revisions.list(c, { afterSeq: result.broken.seq - 1n, limit: 1 });
        const what = rev && rev.seq === result.broken.seq ? ` (${rev.operation} ${rev.objectKind} ${rev.namespace ? `${rev.namespace}/` : ""}${rev.name}, observed ${rev.observedAt.toISOString()})` : "";
        io.stdout.write(`cluster ${c}: BROKEN at seq ${result.broken.seq}${what}: ${result.broken.reason}: ${result.broken.message}; ${revisions(result.count)} before it verified\n`);
      }
      if (anchors && anchors.problems.length > 0) broken++;
      if (broken > 0) throw new IntegrityError(`the history of ${broken} cluster(s) does not verify`);
    } finally {
      await store.close();
    }
  });
}

/**
 * Every signed anchor of the cluster must still be in the database: the revision at its seq with
 * its hash, the generation with its hash. Returns 1 when one is not (history rewritten or cut back
 * below a signed head), else 0. Reports what the last anchor does not cover.
 */
async function checkAnchors(io: CliIo, store: Store, cluster: string, anchors: readonly Anchor[], head: { seq: bigint; hash: string }): Promise<number> {
  for (const a of anchors) {
    const where = `anchor of ${a.at} (line ${a.line}, seq ${a.seq}${a.generation !== undefined ? `, generation ${a.generation}` : ""})`;
    if (a.seq > head.seq) {
      io.stdout.write(`cluster ${cluster}: anchors BROKEN: ${where}: the stored history ends at seq ${head.seq}, below the signed head (revisions were removed)\n`);
      return 1;
    }
    if (a.seq > 0n) {
      const [rev] = await store.revisions.list(cluster, { afterSeq: a.seq - 1n, limit: 1 });
      if (!rev || rev.seq !== a.seq || rev.hash !== a.hash) {
        io.stdout.write(`cluster ${cluster}: anchors BROKEN: ${where}: the stored revision seq ${a.seq} is not the signed one (history was rewritten)\n`);
        return 1;
      }
    }
    if (a.generation !== undefined && (await store.matrix.generationHash(cluster, a.generation)) !== a.generationHash) {
      io.stdout.write(`cluster ${cluster}: anchors BROKEN: ${where}: the stored generation ${a.generation} is not the signed one\n`);
      return 1;
    }
  }
  const last = anchors[anchors.length - 1];
  const uncovered = head.seq - (last?.seq ?? 0n);
  io.stdout.write(
    `cluster ${cluster}: anchors OK, ${anchors.length} signed heads checked${last ? `, latest seq ${last.seq} at ${last.at}` : ""}${uncovered > 0n ? `; ${uncovered} newer revision(s) not covered by an anchor` : ""}\n`,
  );
  return 0;
}

async function verifyExport(io: CliIo, file: string, cluster: string | undefined): Promise<void> {
  const { verifyExportFile } = await import("../../api/exports/verify.js");
  const r = await verifyExportFile(resolve(io.cwd, file));
  const h = r.header;
  if (cluster !== undefined && h.cluster !== cluster) throw new BadInputError(`${file} is an export of cluster ${h.cluster}, not ${cluster}`);
  const kind = h.complete ? "complete export" : `filtered export (${describeFilter(r)})`;
  io.stdout.write(`export ${file}: ${r.format}, cluster ${h.cluster}, ${kind}, exported ${h.exportedAt || "(time not given)"}\n`);
  io.stdout.write(`chain head at export: seq ${h.chainHead.seq} ${h.chainHead.hash}\n`);
  if (r.broken) {
    const b = r.broken;
    const row = b.row;
    const what = row ? ` (${row.operation} ${row.objectKind} ${row.namespace ? `${row.namespace}/` : ""}${row.name}, observed ${row.observedAt})` : "";
    const where = b.seq !== undefined ? `at seq ${b.seq}${what}` : "at the end of the file";
    io.stdout.write(`BROKEN ${where}: ${b.reason}: ${b.message}; ${revisions(r.verified)} before it verified\n`);
    throw new IntegrityError(`the export ${file} does not verify`);
  }
  const range = r.firstSeq !== undefined ? `, seq ${r.firstSeq}..${r.lastSeq}` : "";
  if (h.complete) {
    io.stdout.write(`OK: ${revisions(r.verified)} verified${range}: the whole chain from seq 1 recomputes and ends at the chain head\n`);
    io.stdout.write(
      "guarantees: no revision up to the chain head was changed, removed, inserted or reordered.\n" +
        "not shown: that the chain head is the real one; compare it with the server's (kubereach audit verify, or GraphQL).\n",
    );
  } else {
    io.stdout.write(`OK: ${revisions(r.verified)} verified${range}; ${r.linked} linked to the revision before them\n`);
    io.stdout.write(
      "guarantees: each revision's fields are exactly what was hashed (hash = sha256(prevHash || canonical)); revisions are in seq order; consecutive seqs link; every revision matches the export's filter.\n" +
        "not shown (filtered export): that a missing seq was filtered out rather than deleted, or that the revisions belong to the chain with this head; verify a complete export (no filter, unscoped token) for that.\n",
    );
  }
}

function describeFilter(r: ExportVerification): string {
  const f = r.header.filter;
  const parts = [
    f.namespace !== null ? `namespace=${f.namespace}` : "",
    f.since !== null ? `since=${f.since}` : "",
    f.until !== null ? `until=${f.until}` : "",
    f.tokenNamespaces !== null ? `token namespaces=${f.tokenNamespaces.join(",") || "(none)"}` : "",
  ].filter(Boolean);
  return parts.join(", ") || "no filter named";
}

/** "1 revision", "2 revisions". */
function revisions(n: number | bigint): string {
  return `${n} revision${n === 1 || n === 1n ? "" : "s"}`;
}
