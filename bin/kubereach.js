#!/usr/bin/env node
// Entry point for `npx kubereach`: runs the TypeScript sources through tsx, so a fresh checkout
// works right after `npm install` with no build step and never runs a stale build.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv);
