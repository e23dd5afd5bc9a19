/* global process */
// `node --import ./test/helpers/recordImports.mjs ...`: writes every module URL the program loads
// to the file named by $KUBEREACH_IMPORT_LOG when it exits (test/cli/startup.test.ts).
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
import { writeFileSync } from "node:fs";

const urls = new Set();
const { port1, port2 } = new MessageChannel();
port1.on("message", (url) => urls.add(url));
port1.unref();
register(
  `data:text/javascript,${encodeURIComponent(`
    let port;
    export function initialize(data) { port = data.port; }
    export async function resolve(specifier, context, next) {
      const r = await next(specifier, context);
      port.postMessage(r.url);
      return r;
    }`)}`,
  { data: { port: port2 }, transferList: [port2] },
);
process.on("exit", () => writeFileSync(process.env.KUBEREACH_IMPORT_LOG, [...urls].join("\n")));
