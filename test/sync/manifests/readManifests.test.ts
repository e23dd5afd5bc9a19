import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppError, BadInputError, NotFoundError } from "../../../src/domain/errors.js";
import { readManifests, type ReadProgress } from "../../../src/sync/manifests/index.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "kubereach-read-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(rel: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), text);
}

const ns = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

describe("readManifests", () => {
  it("reads a directory recursively in sorted order: .yaml, .yml and .json; no hidden entries, no node_modules", async () => {
    await put("b.yaml", ns("b"));
    await put("a/z.yml", ns("az"));
    await put("a.json", JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "a-json" } }));
    await put("a/b/c.YAML", ns("abc"));
    await put(".hidden/x.yaml", ns("hidden-dir"));
    await put(".x.yaml", ns("hidden-file"));
    await put("node_modules/pkg/x.yaml", ns("node-modules"));
    await put("notes.txt", ns("txt"));
    await put("c.yaml.bak", ns("bak"));
    const r = await readManifests(root);
    expect(r.world.namespaces.map((n) => n.name)).toEqual(["abc", "az", "a-json", "b"]);
    expect(r.world.namespaces.map((n) => n.origin)).toEqual([`${root}/a/b/c.YAML#0`, `${root}/a/z.yml#0`, `${root}/a.json#0`, `${root}/b.yaml#0`]);
    expect(r.stats).toMatchObject({ files: 4, documents: 4, objects: 4, namespaces: 4 });
    expect(r.diagnostics).toEqual([]);
  });

  it("reads a single file given directly, whatever its extension", async () => {
    await put("all.txt", `${ns("a")}---\n${ns("b")}`);
    const r = await readManifests(join(root, "all.txt"));
    expect(r.world.namespaces.map((n) => n.origin)).toEqual([`${root}/all.txt#0`, `${root}/all.txt#1`]);
    expect(r.stats.files).toBe(1);
  });

  it("keeps the path as given (relative stays relative) in origins", async () => {
    await put("m/ns.yaml", ns("rel"));
    const rel = relative(process.cwd(), join(root, "m"));
    expect(rel.startsWith("/")).toBe(false);
    const r = await readManifests(rel);
    expect(r.world.namespaces[0]!.origin).toBe(`${rel}/ns.yaml#0`);
  });

  it("throws NotFoundError (an AppError with code NOT_FOUND) for a path that does not exist", async () => {
    const missing = join(root, "nope");
    const err = await readManifests(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toBeInstanceOf(AppError);
    expect((err as NotFoundError).code).toBe("NOT_FOUND");
    expect((err as Error).message).toContain(missing);
  });

  it("throws NotFoundError for a path under a file, BadInputError for a path that cannot be read", async () => {
    await put("f.yaml", ns("a"));
    await expect(readManifests(join(root, "f.yaml", "x"))).rejects.toBeInstanceOf(NotFoundError);
    const err = await readManifests(join(root, "x".repeat(5000))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as BadInputError).code).toBe("BAD_INPUT");
    expect((err as BadInputError).cause).toBeDefined();
  });

  it("warns when a directory holds no manifest", async () => {
    await put("readme.md", "# nothing");
    const r = await readManifests(root);
    expect(r.warnings).toMatchObject([{ code: "NO_MANIFESTS", path: root }]);
    expect(r.world).toEqual({ namespaces: [], pods: [], networkPolicies: [] });
  });

  it("reports syntax errors by file, document, line and column, and reads the rest", async () => {
    await put("bad.yaml", `${ns("ok")}---\nkind: Pod\nmetadata: [\n`);
    await put("good.yaml", ns("good"));
    const r = await readManifests(root);
    expect(r.world.namespaces.map((n) => n.name)).toEqual(["ok", "good"]);
    expect(r.diagnostics).toMatchObject([{ severity: "error", object: "YAML", origin: `${root}/bad.yaml#1` }]);
    expect(r.diagnostics[0]!.field).toMatch(/^line \d+, column \d+$/);
  });

  it("maps objects across files: a pod in one file climbs to a ReplicaSet's Deployment in another", async () => {
    await put(
      "rs.yaml",
      "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-abc\n  namespace: shop\n  ownerReferences:\n  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: u1, controller: true}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n",
    );
    await put(
      "pods.yaml",
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-abc-1\n  namespace: shop\n  ownerReferences:\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-abc, uid: u2, controller: true}\nstatus: {podIP: 10.0.0.9}\n",
    );
    const r = await readManifests(root);
    expect(r.world.pods).toMatchObject([{ name: "web-abc-1", ip: "10.0.0.9", workload: { kind: "Deployment", name: "web", namespace: "shop" }, origin: `${root}/pods.yaml#0` }]);
  });

  it("follows symbolic links without looping on a link cycle", async () => {
    await put("real/ns.yaml", ns("linked"));
    await symlink(join(root, "real"), join(root, "link"));
    await symlink(root, join(root, "real", "loop"));
    const r = await readManifests(join(root, "link"));
    expect(r.world.namespaces.map((n) => n.name)).toEqual(["linked"]);
  });

  it("strips a UTF-8 byte order mark", async () => {
    await put("bom.yaml", `\uFEFF${ns("bom")}`);
    expect((await readManifests(root)).world.namespaces.map((n) => n.name)).toEqual(["bom"]);
  });

  it("reports progress after every file", async () => {
    await put("a.yaml", ns("a"));
    await put("b.yaml", `${ns("b")}---\n${ns("c")}`);
    const seen: ReadProgress[] = [];
    await readManifests(root, { onProgress: (p) => seen.push(p) });
    expect(seen).toEqual([
      { filesRead: 1, filesTotal: 2, documents: 1 },
      { filesRead: 2, filesTotal: 2, documents: 3 },
    ]);
  });
});
