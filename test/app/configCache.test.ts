/**
 * server.cache (the API's cache sizes, docs/configuration.md "Caches"): the defaults when unset,
 * a config file setting some of them, a misspelt one refused with the likely intended name, and a
 * size below 1 refused with the setting named.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/app/config.js";
import { DEFAULT_CACHE_SIZES } from "../../src/domain/config.js";

const dir = mkdtempSync(join(tmpdir(), "kubereach-cache-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("server.cache", () => {
  it("defaults to the sizes the caches had before they were configurable", () => {
    expect(loadConfig({ env: {} }).server.cache).toEqual({
      reachRows: 500_000,
      generationTimes: 4096,
      generationIndexes: 2,
      connectivityLists: 8,
      worlds: 4,
      whatIfBases: 2,
      findingsScopes: 16,
      connectionTexts: 10_000,
    });
    expect(DEFAULT_CACHE_SIZES).toEqual(loadConfig({ env: {} }).server.cache);
  });

  it("takes sizes from the config file, the others keeping their defaults", () => {
    const config = loadConfig({ env: {}, file: file("some.yaml", "server:\n  cache:\n    reachRows: 1000\n    worlds: 1\n") });
    expect(config.server.cache).toEqual({ ...DEFAULT_CACHE_SIZES, reachRows: 1000, worlds: 1 });
  });

  it("refuses a misspelt size and a size below 1", () => {
    expect(() => loadConfig({ env: {}, file: file("typo.yaml", "server:\n  cache:\n    wolrds: 2\n") })).toThrow(/unknown setting server\.cache\.wolrds \(did you mean server\.cache\.worlds\?\)/);
    expect(() => loadConfig({ env: {}, file: file("zero.yaml", "server:\n  cache:\n    reachRows: 0\n") })).toThrow(/server\.cache\.reachRows: .*\(got 0 from config file/);
  });
});
