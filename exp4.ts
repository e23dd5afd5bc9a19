import { buildMatrix, compileWorld, prepareWhatIf, whatIf } from "./src/engine/index.js";
import { readManifests } from "./src/sync/manifests/index.js";
import { parseProposal } from "./src/api/whatif/SimulationService.js";
const read = await readManifests("examples/seed");
const world = compileWorld(read.world).world;
const base = prepareWhatIf(world, buildMatrix(world));
const kind = process.argv[2];
for (const [rules, n] of JSON.parse(process.argv[3]) as [number, number][]) {
  const peer = (i: number) => kind === "ip" ? `{ipBlock: {cidr: 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32}}` : kind === "ipx" ? `{ipBlock: {cidr: 10.0.0.0/8, except: [10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32]}}` : `{podSelector: {matchLabels: {app: a${i}}}}`;
  const ip = "[" + Array.from({ length: n }, (_, i) => peer(i)).join(",") + "]";
  const text = `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: default}\nspec:\n  podSelector: {}\n  ingress:\n  - from: &p ${ip}\n` + Array.from({ length: rules - 1 }, () => "  - from: *p\n").join("");
  let s = Date.now();
  const p = parseProposal(text);
  const t1 = Date.now() - s; s = Date.now();
  const r = whatIf(base, p, "apply", { baseInput: () => read.world });
  console.log(kind, rules, n, text.length, "parse", t1, "whatIf", Date.now() - s, r.result.rows.length, process.memoryUsage().rss >> 20, "MB");
}
