/**
 * Starts the test harness's etcd + kube-apiserver by hand (for exploring, or running `serve` against it):
 *   KUBEREACH_KUBE_APISERVER=/path/to/kube-apiserver npx tsx test/helpers/realKubeMain.ts [--no-watch-cache] [extra apiserver flags...]
 * Prints the kubeconfig paths and the admin curl line, and runs until Ctrl-C (then deletes everything).
 */
import { RealKube } from "./realKube.js";

const args = process.argv.slice(2);
const kube = await RealKube.start({ name: "manual", watchCache: !args.includes("--no-watch-cache"), extraArgs: args.filter((a) => a !== "--no-watch-cache") });
await kube.installTieredCrds();
process.stdout.write(
  [
    `API server  ${kube.url} (data in ${kube.dir})`,
    `etcd        ${kube.etcdUrl}`,
    `kubeconfig  ${kube.kubeconfig("admin")}  (admin token)`,
    `            ${kube.kubeconfig("admin-cert")}  (admin client certificate)`,
    `            ${kube.kubeconfig("limited")}  (RBAC: namespaces, pods, networkpolicies only)`,
    `            ${kube.kubeconfig("nobody")}  (no permissions)`,
    "Ctrl-C stops both and deletes the data.",
    "",
  ].join("\n"),
);
const stop = () => void kube.stop().then(() => process.exit(0));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
