/**
 * The manifest files under a directory, recursively, in a deterministic order: the entries of each
 * directory in code-unit order, subdirectories expanded in place (`a/z.yaml` < `a.json` < `b.yaml`).
 * Reads `.yaml`, `.yml` and `.json`; skips hidden entries (`.git`, editor files) and `node_modules`.
 * Symbolic links are followed and each real directory is visited once, so a link cycle cannot loop.
 */
import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

export async function listManifestFiles(root: string): Promise<string[]> {
  return (await listManifestTree(root)).files;
}

/** The manifest files and the directories walked to find them (the root first): what a watcher must watch. */
export async function listManifestTree(root: string): Promise<{ files: string[]; directories: string[] }> {
  const out: string[] = [];
  const directories: string[] = [];
  const visited = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const real = await realpath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    directories.push(dir);
    const names = (await readdir(dir)).filter((n) => !n.startsWith(".") && n !== "node_modules").sort(compareCodeUnits);
    for (const name of names) {
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined); // a dangling link is not a manifest
      if (info?.isDirectory()) await walk(path);
      else if (info?.isFile() && MANIFEST_FILE.test(name)) out.push(path);
    }
  };
  await walk(root);
  return { files: out, directories };
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
