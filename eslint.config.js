// Lint configuration: typescript-eslint's recommended rules plus the project's layer graph (README,
// "Architecture"): engine < domain < sync, store < api < app < cli. A folder imports only folders
// below it; sync and store, side by side, never import each other. src/engine is pure; only src/sync
// imports @kubernetes/client-node; only src/store imports Prisma.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const k8s = { group: ["@kubernetes/*"], message: "Only src/sync imports @kubernetes/client-node." };
const prisma = { group: ["@prisma/*", "**/generated/prisma/**", "pglite-prisma-adapter", "@electric-sql/*"], message: "Only src/store imports Prisma and the database drivers." };
const restrict = (...patterns) => ({ "no-restricted-imports": ["error", { patterns }] });
/** The folders `folder` must not import: those above it or beside it in the layer graph. */
const above = (folder, ...names) => ({ group: names.map((n) => `**/${n}/**`), message: `src/${folder} does not import src/${names.join(", src/")}: see the layer graph in README.md, "Architecture".` });
const io = ["node:fs", "node:fs/*", "fs", "node:path", "path", "node:http", "http", "node:os", "os", "node:child_process", "child_process", "pino", "pino-*"];

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "dist.new/", "src/generated/", "coverage/", ".scratch/", "web/dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["src/engine/**/*.ts"],
    rules: {
      ...restrict(
        { group: ["node:*", "fs", "path", "http", "os", "child_process", "pino", "pino-*"], message: "src/engine is pure: no I/O, no logger." },
        k8s,
        prisma,
        above("engine", "domain", "sync", "store", "api", "app", "cli"),
      ),
      "no-restricted-globals": ["error", { name: "process", message: "src/engine is pure: no env, no clock." }],
      "no-restricted-properties": ["error", { object: "Date", property: "now", message: "src/engine is pure: no clock." }],
    },
  },
  {
    // f(...items) passes each item as an argument: an input-driven array of ~100k items overflows the stack.
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression > SpreadElement, NewExpression > SpreadElement", message: "No spread into call arguments (input-sized arrays overflow the stack): use appendAll(target, items) or a loop." },
      ],
    },
  },
  {
    files: ["src/domain/**/*.ts"],
    rules: restrict({ group: io, message: "src/domain holds the shared vocabulary: no I/O, no logger." }, k8s, prisma, above("domain", "sync", "store", "api", "app", "cli")),
  },
  { files: ["src/sync/**/*.ts"], rules: restrict(prisma, above("sync", "store", "api", "app", "cli")) },
  { files: ["src/store/**/*.ts"], rules: restrict(k8s, above("store", "sync", "api", "app", "cli")) },
  { files: ["src/api/**/*.ts"], rules: restrict(k8s, prisma, above("api", "app", "cli")) },
  { files: ["src/app/**/*.ts"], rules: restrict(k8s, prisma, above("app", "cli")) },
  { files: ["src/cli/**/*.ts"], rules: restrict(k8s, prisma) },
  {
    files: ["bin/**/*.js", "eslint.config.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
