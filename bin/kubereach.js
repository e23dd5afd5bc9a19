#!/usr/bin/env node
// Entry point for `kubereach` (npx, npm link, a global install, the container image).
//
// Runs the JavaScript that `npm install` compiled into dist/ (`npm run build`, from postinstall):
// nothing is transpiled at start, and each command loads only what it needs. When dist/ is
// missing or older than a source file (an edit since the last build), it runs the TypeScript
// sources through tsx instead, so a checkout never runs a stale build; KUBEREACH_FROM_SOURCE=1
// forces that.
/* global URL */
import { readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** dist/ was built (its stamp is written before tsc starts) after every source file was last changed. */
function builtAndFresh() {
  let stamp;
  try {
    stamp = statSync(`${root}dist/.build-stamp`).mtimeMs;
    statSync(`${root}dist/cli/main.js`);
  } catch {
    return false;
  }
  const newer = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory() ? newer(path) : entry.name.endsWith(".ts") && statSync(path).mtimeMs > stamp) return true;
    }
    return false;
  };
  try {
    return !newer(`${root}src`);
  } catch {
    return true; // no sources shipped: dist/ is all there is
  }
}

let main;
if (process.env.KUBEREACH_FROM_SOURCE !== "1" && builtAndFresh()) {
  ({ main } = await import("../dist/cli/main.js"));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../src/cli/main.ts"));
}
process.exitCode = await main(process.argv);
