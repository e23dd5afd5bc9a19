/** Every document deploy/ comments point at is in the repository (they once cited one that was not). */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

describe("deploy/ comments", () => {
  it("cite documents that exist", () => {
    const cited: string[] = [];
    for (const f of readdirSync(join(REPO, "deploy")).filter((n) => /\.(ya?ml|md)$/.test(n)))
      for (const m of readFileSync(join(REPO, "deploy", f), "utf8").matchAll(/([\w./-]+\.md)\b/g)) cited.push(m[1]!);
    expect(cited.length).toBeGreaterThan(0);
    for (const doc of cited) expect(existsSync(join(REPO, doc)) || existsSync(join(REPO, "deploy", doc)), doc).toBe(true);
  });
});
