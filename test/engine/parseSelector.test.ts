import { describe, expect, it } from "vitest";
import { parseSelectorString } from "../../src/engine/index.js";

describe("kubectl selector notation", () => {
  it.each<{ name: string; sel: string; labels: Record<string, string>; match: boolean }>([
    { name: "equality", sel: "app=web", labels: { app: "web" }, match: true },
    { name: "double equals", sel: "app==web", labels: { app: "db" }, match: false },
    { name: "!= matches objects without the key", sel: "env!=dev", labels: {}, match: true },
    { name: "!= rejects the value", sel: "env!=dev", labels: { env: "dev" }, match: false },
    { name: "in", sel: "tier in (a, b)", labels: { tier: "b" }, match: true },
    { name: "notin matches objects without the key", sel: "tier notin (a,b)", labels: {}, match: true },
    { name: "exists", sel: "debug", labels: { debug: "" }, match: true },
    { name: "does not exist", sel: "!debug", labels: { debug: "1" }, match: false },
    { name: "terms are ANDed", sel: "app=web,tier in (a,b),!debug", labels: { app: "web", tier: "a" }, match: true },
    { name: "terms are ANDed (one fails)", sel: "app=web,tier in (a,b)", labels: { app: "web", tier: "c" }, match: false },
    { name: "empty selector selects everything", sel: "", labels: { x: "y" }, match: true },
    { name: "prefixed key", sel: "kubernetes.io/metadata.name=prod", labels: { "kubernetes.io/metadata.name": "prod" }, match: true },
  ])("$name: $sel", ({ sel, labels, match }) => {
    const r = parseSelectorString(sel);
    if (!r.ok) throw new Error(r.message);
    expect(r.selector.matches(labels)).toBe(match);
  });

  it.each(["app=web,", "tier in (a", "tier in ()", "a b c", "app=we b", "-bad=1"])("rejects %j with a message", (sel) => {
    const r = parseSelectorString(sel);
    expect(r.ok).toBe(false);
  });
});
