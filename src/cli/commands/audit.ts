/** `kubereach audit verify`: check the hash chain of the policy history and name the first broken revision. */
import type { Command } from "commander";
import { BadInputError, IntegrityError } from "../../app/errors.js";
import { openStore, verifyChain } from "../../store/index.js";
import type { CliIo } from "../io.js";
import { addStoreOptions, configFromFlags, type ServiceFlags } from "../serviceOptions.js";

const HELP = `
Every recorded change carries sha256(previous hash || canonical JSON of the change), per cluster,
in sequence. verify recomputes the chain from the first revision and reports the first one whose
sequence, link, canonical text or hash does not match (exit code 1), or the verified head.

Examples:
  $ kubereach audit verify
  $ kubereach audit verify --cluster prod --database-url postgresql://postgres@127.0.0.1:5432/kubereach`;

export function registerAudit(program: Command, io: CliIo): void {
  const audit = program.command("audit").description("audit history tools");
  const verify = audit.command("verify").description("verify the tamper-evident hash chain of the recorded history").option("--cluster <id>", "only this cluster (default: every cluster)");
  addStoreOptions(verify);
  verify.addHelpText("after", HELP).action(async (flags: ServiceFlags & { cluster?: string }) => {
    const config = configFromFlags(flags);
    const store = await openStore({ databaseUrl: config.database.url, dataDir: config.database.dataDir });
    try {
      const clusters = (await store.clusters.listClusters()).map((c) => c.id);
      const wanted = flags.cluster ? [flags.cluster] : clusters;
      if (flags.cluster && !clusters.includes(flags.cluster)) throw new BadInputError(`no cluster ${flags.cluster} in ${store.description} (clusters: ${clusters.join(", ") || "none"})`);
      let broken = 0;
      for (const c of wanted) {
        const result = await verifyChain(store.revisions.iterate(c));
        if (result.ok) {
          io.stdout.write(`cluster ${c}: OK, ${result.count} revisions verified${result.count ? `, head seq ${result.head.seq} ${result.head.hash}` : ""}\n`);
          continue;
        }
        broken++;
        const [rev] = await store.revisions.list(c, { afterSeq: result.broken.seq - 1n, limit: 1 });
        const what = rev && rev.seq === result.broken.seq ? ` (${rev.operation} ${rev.objectKind} ${rev.namespace ? `${rev.namespace}/` : ""}${rev.name}, observed ${rev.observedAt.toISOString()})` : "";
        io.stdout.write(`cluster ${c}: BROKEN at seq ${result.broken.seq}${what}: ${result.broken.reason}: ${result.broken.message}; ${result.count} revisions before it verified\n`);
      }
      if (broken > 0) throw new IntegrityError(`the history of ${broken} cluster(s) does not verify`);
    } finally {
      await store.close();
    }
  });
}
