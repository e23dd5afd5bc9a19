/* global process, URL */
// `npm run build`: compiles src/ into dist/ (run by postinstall and prepack), so bin/kubereach.js
// starts compiled JavaScript instead of transpiling TypeScript at every start.
//
// Compiled into dist.new/ and swapped in at the end, so a kubereach started meanwhile never sees
// half a build. The stamp is written BEFORE tsc reads the sources: a source changed during the
// build is newer than the stamp, and bin/kubereach.js then runs the sources (never a stale build).
import { execFileSync } from "node:child_process";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const next = `${root}dist.new`;
rmSync(next, { recursive: true, force: true });
mkdirSync(next);
writeFileSync(`${next}/.build-stamp`, `${new Date().toISOString()}\n`);
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
try {
  execFileSync(process.execPath, [tsc, "-p", `${root}tsconfig.build.json`, "--outDir", next], { stdio: "inherit" });
} catch {
  rmSync(next, { recursive: true, force: true });
  process.exit(1);
}
rmSync(`${root}dist`, { recursive: true, force: true });
renameSync(next, `${root}dist`);
