import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships a CommonJS build (main) and an ES build (module). Node, and so Apollo,
    // graphql-tools and graphql-ws, loads the CommonJS one; Vite would give project files the ES one,
    // and two copies fail with "Cannot use GraphQLSchema from another module or realm". One copy, as in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
