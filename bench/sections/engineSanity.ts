/**
 * A fast-but-wrong engine must not pass the benchmark: compare what the class matrix and the
 * connectivity list say with the per-pair evaluator (evaluatePair, the reference semantics) on a
 * random sample. Runs after the timed phases and is not counted.
 */
import type { ClassMatrix, CompiledWorld, ConnectionSet, ConnectivityRow, WorkloadKey } from "../../src/engine/index.js";
import { Rng } from "../prng.js";
import type { Engine } from "./engineTask.js";

export interface SanityCheck {
  readonly name: string;
  readonly checked: number;
  readonly mismatches: number;
  /** A few mismatches, printable. */
  readonly examples: readonly string[];
}

export function engineSanity(engine: Engine, world: CompiledWorld, matrix: ClassMatrix, rows: readonly ConnectivityRow[], samples: number, seed: number): SanityCheck[] {
  const { evaluatePair, externalEndpoint, podEndpoint, workloadKey } = engine;
  const NONE = engine.ConnectionSet.NONE;
  const rng = new Rng(seed ^ 0x5eed);
  const pods = world.pods;
  const out: SanityCheck[] = [];
  const check = (name: string, n: number, one: (i: number) => string | undefined) => {
    let mismatches = 0;
    const examples: string[] = [];
    for (let i = 0; i < n; i++) {
      const problem = one(i);
      if (problem === undefined) continue;
      mismatches++;
      if (examples.length < 5) examples.push(problem);
    }
    out.push({ name, checked: n, mismatches, examples });
  };
  const podName = (i: number) => pods[i]!.key;

  // 1. Random pairs of distinct pods: matrix.podToPod vs evaluatePair.
  check("pod pairs: matrix vs evaluatePair", samples, () => {
    const a = rng.int(0, pods.length - 1);
    let b = rng.int(0, pods.length - 2);
    if (b >= a) b++;
    const fromMatrix = matrix.podToPod(a, b).key;
    const reference = evaluatePair(world, podEndpoint(pods[a]!), podEndpoint(pods[b]!)).allowed.key;
    return fromMatrix === reference ? undefined : `${podName(a)} -> ${podName(b)}: matrix "${fromMatrix}", evaluatePair "${reference}"`;
  });

  // 1b. Pairs the matrix allows (random entries between pod classes, random members): most random
  // pairs are denied by both sides, so this is where an over-permissive matrix shows.
  const podEntries: [number, number][] = [];
  matrix.incoming.forEach((row, d) => {
    if (matrix.classes.classes[d]!.kind !== "pod") return;
    for (const s of row.src) if (matrix.classes.classes[s]!.kind === "pod") podEntries.push([s, d]);
  });
  check("allowed pod pairs: matrix vs evaluatePair", podEntries.length === 0 ? 0 : samples >> 1, () => {
    const [sc, dc] = podEntries[rng.int(0, podEntries.length - 1)]!;
    const sp = matrix.classes.classes[sc]!.pods;
    const dp = matrix.classes.classes[dc]!.pods;
    const a = sp[rng.int(0, sp.length - 1)]!;
    const b = dp[rng.int(0, dp.length - 1)]!;
    if (a === b) return undefined;
    const fromMatrix = matrix.podToPod(a, b).key;
    const reference = evaluatePair(world, podEndpoint(pods[a]!), podEndpoint(pods[b]!)).allowed.key;
    return fromMatrix === reference ? undefined : `${podName(a)} -> ${podName(b)}: matrix "${fromMatrix}", evaluatePair "${reference}"`;
  });

  // 2. External addresses (one per atom, taken at random) against random pods, both directions.
  const classes = matrix.classes;
  const partition = classes.partition;
  const classOfAtom = new Int32Array(partition.atoms.length).fill(-1);
  for (const c of classes.classes) for (const a of c.atoms) classOfAtom[a] = c.id;
  check("external<->pod: matrix vs evaluatePair", Math.max(1, samples >> 2), () => {
    const atom = rng.int(0, partition.atoms.length - 1);
    const range = partition.atoms[atom]!;
    const ip = externalEndpoint({ family: range.family, value: range.start + BigInt(Math.floor(rng.next() * Number(range.end - range.start > 1_000_000n ? 1_000_000n : range.end - range.start))) });
    const p = rng.int(0, pods.length - 1);
    const ext = classOfAtom[atom]!;
    const pc = classes.classOfPod[p]!;
    const inbound = rng.chance(0.5);
    const fromMatrix = (inbound ? matrix.get(ext, pc) : matrix.get(pc, ext)).key;
    const reference = (inbound ? evaluatePair(world, ip, podEndpoint(pods[p]!)) : evaluatePair(world, podEndpoint(pods[p]!), ip)).allowed.key;
    const what = inbound ? `${range.start}(atom ${atom}) -> ${podName(p)}` : `${podName(p)} -> atom ${atom}`;
    return fromMatrix === reference ? undefined : `${what}: matrix "${fromMatrix}", evaluatePair "${reference}"`;
  });

  // 3. Workload rows of the connectivity list: the union over member pod pairs, present or absent.
  const podsOf = new Map<WorkloadKey, number[]>();
  for (const p of pods) {
    const k = workloadKey(p.workload);
    const list = podsOf.get(k);
    if (list) list.push(p.index);
    else podsOf.set(k, [p.index]);
  }
  const workloadUnion = (s: WorkloadKey, d: WorkloadKey): ConnectionSet => {
    let conn = NONE;
    // Large workloads: a bounded sample of members keeps this cheap; a row must still cover it.
    const sp = podsOf.get(s)!.slice(0, 8);
    const dp = podsOf.get(d)!.slice(0, 8);
    for (const a of sp) for (const b of dp) if (a !== b) conn = conn.union(evaluatePair(world, podEndpoint(pods[a]!), podEndpoint(pods[b]!)).allowed);
    return conn;
  };
  const full = (k: WorkloadKey) => podsOf.get(k)!.length <= 8;
  const wlRows = rows.filter((r) => r.src.kind === "workload" && r.dst.kind === "workload");
  const rowConn = new Map<string, ConnectionSet>();
  for (const r of wlRows) if (r.src.kind === "workload" && r.dst.kind === "workload") rowConn.set(`${workloadKey(r.src.ref)} ${workloadKey(r.dst.ref)}`, r.conn);
  check("workload rows: connectivity vs evaluatePair", Math.min(wlRows.length, samples >> 2), () => {
    const r = wlRows[rng.int(0, wlRows.length - 1)]!;
    if (r.src.kind !== "workload" || r.dst.kind !== "workload") return undefined;
    const s = workloadKey(r.src.ref);
    const d = workloadKey(r.dst.ref);
    const reference = workloadUnion(s, d);
    // With every member pair evaluated the row must be equal; with a sample, a superset.
    const ok = full(s) && full(d) ? reference.key === r.conn.key : reference.isSubsetOf(r.conn);
    return ok ? undefined : `${s} -> ${d}: row "${r.conn.key}", evaluatePair union "${reference.key}"`;
  });
  const keys = [...podsOf.keys()];
  check("absent workload pairs: connectivity vs evaluatePair", samples >> 2, () => {
    const s = keys[rng.int(0, keys.length - 1)]!;
    const d = keys[rng.int(0, keys.length - 1)]!;
    if (s === d) return undefined;
    const listed = rowConn.get(`${s} ${d}`) ?? NONE;
    const reference = workloadUnion(s, d);
    const ok = full(s) && full(d) ? reference.key === listed.key : reference.isSubsetOf(listed);
    return ok ? undefined : `${s} -> ${d}: listed "${listed.key}", evaluatePair union "${reference.key}"`;
  });
  return out;
}
