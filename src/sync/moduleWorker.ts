/**
 * Starts a worker thread on a module of this code base, from the compiled dist/ or from source.
 * From source (tsx, vitest) the worker first registers tsx's loader in its own thread: loaders are
 * per thread, and workers do not accept --import in execArgv. Used by the impact worker here and
 * the simulation worker of the API.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * `moduleUrl`: the worker's module as the caller's own file names it, `new URL("./x.js", import.meta.url)`;
 * the `.ts` next to it is run when the caller itself runs from source.
 */
export function startModuleWorker(callerUrl: string, moduleUrl: URL, options: Omit<WorkerOptions, "eval"> = {}): Worker {
  if (!callerUrl.endsWith(".ts")) return new Worker(moduleUrl, options);
  const tsx = pathToFileURL(createRequire(callerUrl).resolve("tsx/esm/api").replace(/index\.cjs$/, "index.mjs")).href;
  const main = moduleUrl.href.replace(/\.js$/, ".ts");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(main)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
