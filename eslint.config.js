// Lint configuration: typescript-eslint's recommended rules plus the project's layering:
// src/engine is pure; only src/sync imports @kubernetes/client-node; only src/store imports Prisma.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const k8s = { group: ["@kubernetes/*"], message: "Only src/sync imports @kubernetes/client-node." };
const prisma = { group: ["@prisma/*", "**/generated/prisma/**", "pglite-prisma-adapter", "@electric-sql/*"], message: "Only src/store imports Prisma and the database drivers." };
const restrict = (...patterns) => ({ "no-restricted-imports": ["error", { patterns }] });

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
        { group: ["**/sync/**", "**/store/**", "**/api/**", "**/cli/**", "**/app/**"], message: "src/engine does not depend on outer layers." },
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
  { files: ["src/api/**/*.ts", "src/cli/**/*.ts", "src/app/**/*.ts"], rules: restrict(k8s, prisma) },
  { files: ["src/sync/**/*.ts"], rules: restrict(prisma) },
  { files: ["src/store/**/*.ts"], rules: restrict(k8s) },
  {
    files: ["bin/**/*.js", "eslint.config.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
