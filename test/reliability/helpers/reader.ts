/**
 * A reader that keeps asking one replica, over HTTP, who can reach a workload and for the whole
 * connectivity list while generations are committed (and the leader changes), recording what it
 * saw with the generation each answer names.
 *
 * The check (checkReads): generations are immutable, and each one is committed with the objects it
 * was computed from (object versions stamped with generations), so the correct answer for
 * generation g is known independently of the API: the engine's, computed in this test from
 * `loadObjectsAt(g)`. Every answer the reader got must equal the engine's answer for the generation
 * the answer names. A half-written generation (some classes or connections of g visible, others
 * not yet; or rows of g mixed with rows of g-1) would give an answer that differs from it; so would
 * an answer labelled with the wrong generation.
 */
import type { Store } from "../../../src/domain/repositories.js";
import { engineMatrix, engineWhoCanReach } from "./checks.js";
import { sleep } from "./process.js";
import { WHO_CAN_REACH, gql, readMatrix, whoCanReachLines, type Replica, type WhoCanReachAnswer } from "./serve.js";

export interface Observation {
  readonly at: number;
  readonly query: "whoCanReach" | "matrix";
  readonly generation: number;
  readonly lines: readonly string[];
}

export class Reader {
  readonly observations: Observation[] = [];
  readonly errors: string[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly replica: Replica,
    private readonly target: { namespace: string; name: string },
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const who = await gql<WhoCanReachAnswer>(this.replica, WHO_CAN_REACH, { t: this.target });
        this.observations.push({ at: Date.now(), query: "whoCanReach", generation: who.whoCanReach.generation, lines: whoCanReachLines(who) });
        const m = await readMatrix(this.replica);
        if (m.totalCount !== m.lines.length) this.errors.push(`matrix of generation ${m.generation}: totalCount ${m.totalCount} but ${m.lines.length} rows`);
        this.observations.push({ at: Date.now(), query: "matrix", generation: m.generation, lines: m.lines });
      } catch (err) {
        if (this.running) this.errors.push(`${new Date().toISOString()} ${String(err)}`);
      }
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  generations(): number[] {
    return [...new Set(this.observations.map((o) => o.generation))].sort((a, b) => a - b);
  }
}

/** Every observation equals the engine's answer for the world of the generation it names. */
export async function checkReads(store: Store, cluster: string, observations: readonly Observation[], target: string): Promise<string[]> {
  const problems: string[] = [];
  const expected = new Map<number, { whoCanReach: string[]; matrix: string[] }>();
  for (const o of observations) {
    let want = expected.get(o.generation);
    if (!want) {
      const objects = await store.objects.loadObjectsAt(cluster, o.generation);
      want = { whoCanReach: engineWhoCanReach(objects, target), matrix: engineMatrix(objects) };
      expected.set(o.generation, want);
    }
    const lines = want[o.query];
    if (lines.join("\n") !== o.lines.join("\n")) {
      const missing = lines.filter((l) => !o.lines.includes(l));
      const extra = o.lines.filter((l) => !lines.includes(l));
      problems.push(`${o.query} read at ${new Date(o.at).toISOString()} as generation ${o.generation}: missing [${missing.slice(0, 4).join("; ")}] unexpected [${extra.slice(0, 4).join("; ")}]`);
    }
  }
  return problems;
}
