/**
 * stop() while watch requests are on their way: the informer only learns a watch's controller once
 * the API server has answered, so a stop() in between found nothing to abort and the late watch
 * stayed open for good, keeping the process alive (`kubereach sync --once` that never exits, a
 * SIGTERM that never ends the process). The supervisor now aborts a watch that opens for a retired
 * informer.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { FakeKubeApi, namespace, pod } from "../../helpers/fakeKubeApi.js";
import { RecordingHandler, TempKubeconfig, sleep, sourceFor, waitFor } from "./helpers.js";

const WATCH_PATHS = ["/api/v1/namespaces", "/api/v1/pods", "/apis/networking.k8s.io/v1/networkpolicies"];

let api: FakeKubeApi;
let kubeconfig: TempKubeconfig;

beforeEach(async () => {
  api = await FakeKubeApi.create();
  kubeconfig = new TempKubeconfig(api.url);
  api.upsert(namespace("prod"));
  api.upsert(pod({ namespace: "prod", name: "web-1", ip: "10.0.0.1" }));
});
afterEach(async () => {
  await api.stop();
  kubeconfig.remove();
});

it("a watch answered after stop() is closed at once, not left open", async () => {
  for (const path of WATCH_PATHS) api.delayNext(path, 1000, 1, { on: "watch" });
  const source = sourceFor(kubeconfig);
  await source.start(new RecordingHandler());
  await waitFor(() => api.delayedRequests === 3, "the three watch requests to reach the (slow) server");
  await source.stop();
  await waitFor(() => api.delayedRequests === 0, "the server to answer them", 15_000);
  await sleep(300);
  expect(api.openWatches()).toBe(0);
});
