/**
 * Child process for openStore.test.ts: opens the default embedded store (./.kubereach/db) in the
 * directory given as argv[2], writes a namespace and a pod, closes it, and must then exit on its own (PGlite on a
 * directory keeps the event loop alive until it is closed, STACK.md T-P4).
 */
import { openStore } from "../../../src/store/openStore.js";
import { ns, pod, upsert } from "./fixtures.js";

process.chdir(process.argv[2]!);
const store = await openStore({});
await store.clusters.ensureCluster("child", "test");
await store.objects.applyChanges("child", [upsert(ns("a")), upsert(pod("a", "p"))]);
await store.close();
process.stdout.write(`closed ${store.description}\n`);
