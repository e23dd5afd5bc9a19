/**
 * `kubereach history`: the recorded history from the store, oldest first: every change kubereach
 * observed (the audit log: policies, namespace labels, pods), or with --policies only the policy
 * changes, as text or JSON. Each line is one revision of the hash chain (`audit verify` checks it).
 */
import { InvalidArgumentError, type Command } from "commander";
import { BadInputError } from "../../domain/errors.js";
import type { StoredRevision } from "../../domain/repositories.js";
import { OBJECT_KINDS, POLICY_KINDS, type ObjectKind } from "../../domain/objects.js";
import type { CliIo } from "../io.js";
import { addOutputOptions, deprecation, outputOf, type OutputFlags } from "../options.js";
import { addStoreOptions, configFromFlags, type ServiceFlags } from "../serviceOptions.js";

const HISTORY_FORMATS = ["text", "json"] as const;
type HistoryFormat = (typeof HISTORY_FORMATS)[number];

interface HistoryOptions extends ServiceFlags, OutputFlags {
  readonly namespace?: string;
  readonly name?: string;
  readonly kind?: ObjectKind;
  readonly policies?: boolean;
  readonly since?: Date;
  readonly until?: Date;
  readonly limit: number;
}

const HELP = `
Output (text): one line per recorded change, oldest first:
  SEQ  OBSERVED-AT  OPERATION  KIND NAMESPACE/NAME  via HOW  CHANGES
where CHANGES lists the JSON Patch operations of the change (spec for policies, labels for
namespaces). -o json prints every field, the before and after states and the hash chain included.

Examples:
  $ kubereach history --policies
  $ kubereach history --namespace shop --since 7d -o json
  $ kubereach history --cluster-id prod --database-url postgresql://postgres@127.0.0.1:5432/kubereach --limit 20`;

/** `7d`, `24h`, `30m` ago, or an ISO 8601 time. */
export function parseTime(text: string): Date {
  const ago = /^(\d+)([smhd])$/.exec(text.trim());
  if (ago) return new Date(Date.now() - Number(ago[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as "s" | "m" | "h" | "d"]);
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) throw new InvalidArgumentError("expected a time (ISO 8601, e.g. 2026-01-31T12:00:00Z) or a duration ago (30m, 24h, 7d).");
  return t;
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of revisions, 1 or more.");
  return n;
}

function parseKind(text: string): ObjectKind {
  const kind = OBJECT_KINDS.find((k) => k.toLowerCase() === text.toLowerCase());
  if (!kind) throw new InvalidArgumentError(`expected one of ${OBJECT_KINDS.join(", ")}.`);
  return kind;
}

export function registerHistory(program: Command, io: CliIo): void {
  const cmd = program
    .command("history")
    .description("show the recorded history from the database: every observed change (the audit log), or the policy changes")
    .option("--policies", "only policy changes (NetworkPolicy and the admin network policy kinds)")
    .option("--kind <kind>", `only this kind (${OBJECT_KINDS.join(", ")})`, parseKind)
    .option("-n, --namespace <namespace>", "only this namespace")
    .option("--name <name>", "only objects of this name")
    .option("--since <time>", "only changes observed at or after this time (ISO 8601, or 30m, 24h, 7d ago)", parseTime)
    .option("--until <time>", "only changes observed before this time", parseTime)
    .option("--limit <n>", "at most the last N changes", parseLimit, 100);
  addStoreOptions(cmd, "the stored cluster to show (default: the only one in the database)");
  addOutputOptions(cmd, HISTORY_FORMATS, "text", "the history")
    .addHelpText("after", HELP)
    .action(async (opts: HistoryOptions) => {
      const { format, file } = outputOf<HistoryFormat>(opts, "text", deprecation(io));
      const { clusterId, ...flags } = opts;
      const config = await configFromFlags(flags);
      const [{ openStore }, { writeResult }] = await Promise.all([import("../../store/index.js"), import("../io.js")]);
      const store = await openStore({ databaseUrl: config.database.url, migrationUrl: config.database.migrationUrl, dataDir: config.database.dataDir });
      try {
        const clusters = (await store.clusters.listClusters()).map((c) => c.id);
        const cluster = clusterId ?? (clusters.length === 1 ? clusters[0] : undefined);
        if (!cluster) throw new BadInputError(clusters.length ? `the database holds several clusters (${clusters.join(", ")}): choose one with --cluster-id` : `no cluster in ${store.description}: nothing was synced into it yet`);
        if (!clusters.includes(cluster)) throw new BadInputError(`no cluster ${cluster} in ${store.description} (clusters: ${clusters.join(", ") || "none"})`);
        const kinds: readonly string[] | undefined = opts.kind ? [opts.kind] : opts.policies ? POLICY_KINDS : undefined;
        // Oldest first; the last --limit of those that match.
        const kept: StoredRevision[] = [];
        for (let afterSeq: bigint | undefined = undefined; ; ) {
          const page: StoredRevision[] = await store.revisions.list(cluster, { namespace: opts.namespace, name: opts.name, since: opts.since, until: opts.until, afterSeq, limit: 500 });
          for (const r of page) if (!kinds || kinds.includes(r.objectKind)) kept.push(r);
          if (kept.length > opts.limit) kept.splice(0, kept.length - opts.limit);
          if (page.length < 500) break;
          afterSeq = page[page.length - 1]!.seq;
        }
        if (kept.length === 0) io.stderr.write(`no recorded change in cluster ${cluster} matches\n`);
        await writeResult(io, format === "json" ? `${JSON.stringify(kept.map(toJson), null, 2)}\n` : kept.map(toText).join(""), file);
      } finally {
        await store.close();
      }
    });
}

function toJson(r: StoredRevision) {
  return {
    seq: Number(r.seq),
    observedAt: r.observedAt.toISOString(),
    operation: r.operation,
    kind: r.objectKind,
    namespace: r.namespace,
    name: r.name,
    uid: r.uid,
    resourceVersion: r.resourceVersion,
    observedVia: r.observedVia,
    sourceRef: r.sourceRef,
    finalStateUnknown: r.finalStateUnknown,
    diff: r.diff,
    before: r.before,
    after: r.after,
    hash: r.hash,
    prevHash: r.prevHash,
  };
}

function toText(r: StoredRevision): string {
  const ops = Array.isArray(r.diff) ? (r.diff as Array<{ op?: string; path?: string }>) : [];
  const changes = r.operation === "UPDATE" ? ops.map((o) => `${o.op} ${o.path === "" ? "/" : o.path}`) : [];
  const shown = changes.length > 3 ? [...changes.slice(0, 3), `and ${changes.length - 3} more`] : changes;
  const name = r.namespace ? `${r.namespace}/${r.name}` : r.name;
  return `${String(r.seq).padStart(5)}  ${r.observedAt.toISOString()}  ${r.operation.padEnd(6)}  ${r.objectKind} ${name}  via ${r.observedVia}${r.finalStateUnknown ? " (final state unknown)" : ""}${shown.length ? `  ${shown.join(", ")}` : ""}\n`;
}
