/**
 * Child-process side of RemoteFakeKubeApi (remoteFakeKubeApi.ts): hosts the tests' fake Kubernetes
 * API server (test/helpers/fakeKubeApi.ts), loads the generated cluster into it and answers object
 * operations sent over the IPC channel. Started with fork(); never imported by the bench itself.
 */
import { generateCluster } from "../generateCluster.js";
import { FakeKubeApi } from "../../test/helpers/fakeKubeApi.js";
import { loadCluster } from "./kubeObjects.js";
import type { HostRequest, HostReply, HostStart } from "./remoteFakeKubeApi.js";

const start = JSON.parse(process.argv[2]!) as HostStart;
const api = await FakeKubeApi.create();
loadCluster(api, generateCluster(start).input);
process.send!({ ready: true, url: api.url } satisfies HostReply);

process.on("message", (req: HostRequest) => {
  let reply: HostReply;
  try {
    reply = { id: req.id, ok: true, result: dispatch(req) };
  } catch (err) {
    reply = { id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  process.send!(reply);
  if (req.op === "stop") void api.stop().then(() => process.disconnect());
});
// The parent died or disconnected: nothing else will ask anything.
process.on("disconnect", () => void api.stop());

function dispatch(req: HostRequest): unknown {
  switch (req.op) {
    case "get":
      return api.get(req.kind, req.name, req.namespace) ?? null;
    case "list":
      return api.list(req.kind);
    case "upsert":
      return api.upsert(req.object);
    case "delete":
      return api.delete(req.object);
    case "stop":
      return null;
  }
}
