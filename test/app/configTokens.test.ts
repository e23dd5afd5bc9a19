/**
 * API tokens from the environment (KUBEREACH_TOKENS, KUBEREACH_TOKENS_FILE), through the command
 * line as a container passes them: `kubereach config print --json` with exactly that environment.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseTokenList } from "../../src/app/config.js";
import { effectiveConfig } from "../packaging/effectiveConfig.js";

const A = "a".repeat(64);
const B = "0123456789abcdef".repeat(4);
const dir = mkdtempSync(join(tmpdir(), "kubereach-tokens-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("tokens from the environment", () => {
  it("KUBEREACH_TOKENS: entries separated by spaces or newlines, with optional namespaces", async () => {
    const r = await effectiveConfig([], { KUBEREACH_TOKENS: `ci:${A}\n  shop:${B}:shop,pay ` });
    expect(r.stderr).toBe("");
    expect(r.config!.server.tokens).toEqual([
      { name: "ci", sha256: "REDACTED" },
      { name: "shop", sha256: "REDACTED", namespaces: ["shop", "pay"] },
    ]);
    expect(parseTokenList(`ci:${A} shop:${B}:shop`, "X")).toEqual([
      { name: "ci", sha256: A },
      { name: "shop", sha256: B, namespaces: ["shop"] },
    ]);
  });

  it("KUBEREACH_TOKENS_FILE: a mounted secret, one per line, # comments; replaces the config file's tokens", async () => {
    const file = join(dir, "tokens");
    writeFileSync(file, `# API tokens\ndashboards:${A}   # every namespace\nteam:${B}:shop\n`);
    const config = join(dir, "kubereach.yaml");
    writeFileSync(config, `server:\n  tokens:\n    - name: old\n      sha256: "${B}"\n`);
    const r = await effectiveConfig(["--config", config], { KUBEREACH_TOKENS_FILE: file });
    expect(r.stderr).toBe("");
    expect(r.config!.server.tokens.map((t) => t.name)).toEqual(["dashboards", "team"]);
    // config print shows the address kubereach derives: 0.0.0.0 once there are tokens.
    expect(r.config!.server.host).toBe("0.0.0.0");
  });

  it("errors name the variable and entry, never the value, and exit 1", async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ KUBEREACH_TOKENS: "ci:my-secret-token" }, /KUBEREACH_TOKENS entry 1 \(ci\): the second field must be the hex sha256 of the token/],
      [{ KUBEREACH_TOKENS: `ci:${A} my-secret-token` }, /KUBEREACH_TOKENS entry 2: expected NAME:SHA256/],
      [{ KUBEREACH_TOKENS: `ci:${A}:` }, /entry 1 \(ci\): the namespace list after the second ':' is empty/],
      [{ KUBEREACH_TOKENS: `ci:${A}:a:b` }, /entry 1 \(ci\): expected NAME:SHA256/],
      [{ KUBEREACH_TOKENS: "  # nothing" }, /KUBEREACH_TOKENS: no token in it/],
      [{ KUBEREACH_TOKENS_FILE: join(dir, "missing") }, /KUBEREACH_TOKENS_FILE .*missing: cannot be read \(ENOENT\)/],
      [{ KUBEREACH_TOKENS: `ci:${A}`, KUBEREACH_TOKENS_FILE: join(dir, "x") }, /KUBEREACH_TOKENS and KUBEREACH_TOKENS_FILE are both set/],
    ];
    for (const [env, message] of cases) {
      const r = await effectiveConfig([], env);
      expect(r.code, JSON.stringify(env)).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain("my-secret-token");
    }
  });

  it("config print shows the derived cluster id and host", async () => {
    const r = await effectiveConfig(["--context", "Prod/EU"], {});
    expect(r.config).toMatchObject({ clusterId: "prod-eu", server: { host: "127.0.0.1" } });
    const example = await effectiveConfig([], {});
    expect(example.config).toMatchObject({ clusterId: "example" });
  });
});
