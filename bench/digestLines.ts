/**
 * The content digest tree hashed from scratch over a synthetic matrix of connection lines: its time
 * and the collections it causes (every line of a touched bucket is rebuilt when it is hashed, so a
 * wide change costs about this). The figures docs/incremental.md gives for 1,000,000 lines.
 *
 *   node --expose-gc --max-old-space-size=4096 --import tsx bench/digestLines.ts [lines] [runs]
 */
import { PerformanceObserver } from "node:perf_hooks";
import { createHash } from "node:crypto";
import { MatrixDigestTree } from "../src/domain/audit/matrixDigestTree.js";
import { classPairKey, storedClassKey, type ClassPairKey } from "../src/domain/keys.js";

const lines = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 4);
// 40,000 classes with hash-like keys, as the sync names them; pairs spread over them.
const keys = Array.from({ length: 40_000 }, (_, i) => storedClassKey("p" + createHash("sha256").update(String(i)).digest("hex")));
const connections = new Map<ClassPairKey, string>();
for (let i = 0; connections.size < lines; i++)
  connections.set(classPairKey(keys[i % keys.length]!, keys[(Math.floor(i / keys.length) * 7919 + i) % keys.length]!), i % 3 ? "TCP 80" : "TCP 80,443,8080-8090");
const snapshot = { classes: new Map(), connections };
let collections = 0;
let collectionMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    collections++;
    collectionMs += e.duration;
  }
}).observe({ entryTypes: ["gc"] });
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
for (let r = 0; r < runs; r++) {
  (globalThis as { gc?: () => void }).gc?.();
  await settle();
  collections = 0;
  collectionMs = 0;
  const t0 = performance.now();
  const digest = MatrixDigestTree.of(snapshot).digest();
  const ms = performance.now() - t0;
  await settle();
  console.log(`run ${r + 1}: ${lines.toLocaleString("en")} lines in ${ms.toFixed(0)} ms, ${collections} collections (${collectionMs.toFixed(0)} ms), digest ${digest.slice(0, 12)}`);
}
