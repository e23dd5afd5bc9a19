// Builds the web view (web/src) into web/dist, served by `kubereach serve` at /ui (npm run build:ui,
// run by npm install). Relative asset URLs; no inline script, so the page runs under a strict CSP.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The whole view is one small module graph: no preload helper (it would be inline-free anyway).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 600,
  },
  oxc: { jsx: { runtime: "automatic" } },
});
