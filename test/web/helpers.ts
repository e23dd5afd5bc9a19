/**
 * The cluster the web view's browser tests look at: the bundled example (examples/seed: default's
 * frontend and backend) plus the API suites' scenario (shop and payments, see
 * test/api/helpers/scenario.ts), so a token scoped to shop has something to be kept from.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { Manifest } from "../api/helpers/manifests.js";
import { initialFiles } from "../api/helpers/scenario.js";

const SEED = new URL("../../examples/seed/", import.meta.url);

export function exampleFiles(): Record<string, Manifest[]> {
  const files: Record<string, Manifest[]> = {};
  for (const f of readdirSync(SEED).filter((n) => n.endsWith(".yaml")))
    files[`seed/${f}`] = parseAllDocuments(readFileSync(join(SEED.pathname, f), "utf8")).map((d) => d.toJS() as Manifest);
  return files;
}

export function viewFiles(): Record<string, Manifest[]> {
  return { ...exampleFiles(), ...initialFiles() };
}

export const ADMIN_TOKEN = "ui-admin-token-3c9e";
export const SHOP_TOKEN = "ui-shop-token-51f0";
export const VIEW_TOKENS = [
  { name: "admin", token: ADMIN_TOKEN },
  { name: "shop-team", token: SHOP_TOKEN, namespaces: ["shop"] },
];
