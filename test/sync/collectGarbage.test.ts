/**
 * collectGarbage in a process started as `kubereach serve` is (no --expose-gc): it must collect,
 * not merely return.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MODULE = fileURLToPath(new URL("../../src/sync/collectGarbage.ts", import.meta.url));

const SCRIPT = `
const { collectGarbage } = await import(${JSON.stringify(MODULE)});
const hadGc = typeof globalThis.gc === "function";
let ref;
(() => { ref = new WeakRef({ payload: new Array(100_000).fill(1) }); })();
await new Promise((r) => setTimeout(r, 0)); // a WeakRef's target is kept until the job that made it ends
const collected = collectGarbage();
console.log(JSON.stringify({ hadGc, collected, cleared: ref.deref() === undefined }));
`;

describe("collectGarbage", () => {
  it("runs a full collection in a process without --expose-gc", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SCRIPT], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({ hadGc: false, collected: true, cleared: true });
  });
});
