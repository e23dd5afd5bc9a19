/**
 * Subscriptions over graphql-ws (the `graphql-ws` client on `ws`) against the real service:
 * reachabilityChanged fires with what was gained and lost when a policy change alters who can
 * reach the target (and not otherwise); policyChanged pushes the revisions of a namespace. Token
 * scopes apply: a token scoped to shop sees nothing of payments through either subscription, and
 * connections without a valid token are refused. Same code on PGlite and PostgreSQL.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import { API_BACKENDS } from "../helpers/backends.js";
import { listeners, Subscription, waitFor, wsClient } from "../helpers/graphql.js";
import { networkPolicy } from "../helpers/manifests.js";
import { backendAllow, initialFiles, PAYMENTS, SHOP } from "../helpers/scenario.js";
import { useTestService, type TestService } from "../helpers/service.js";

const ADMIN = "admin-token-9b1f";
const SHOP_ONLY = "shop-token-77aa";

interface Change {
  reachabilityChanged: {
    cluster: string;
    generation: number;
    workload: { namespace: string; kind: string; name: string };
    gained: { peer: { display: string }; connections: { text: string } }[];
    lost: { peer: { display: string }; connections: { text: string } }[];
  };
}
interface Revised {
  policyChanged: { cluster: string; seq: string; objectKind: string; namespace: string; name: string; operation: string; diff: unknown; impact: unknown };
}

const REACH_SUB = `subscription($t: WorkloadRef!) { reachabilityChanged(target: $t) { cluster generation workload { namespace kind name } gained { peer { display } connections { text } } lost { peer { display } connections { text } } } }`;
const POLICY_SUB = `subscription($ns: String) { policyChanged(namespace: $ns) { cluster seq objectKind namespace name operation diff } }`;

const entries = (xs: { peer: { display: string }; connections: { text: string } }[]) => xs.map((x) => `${x.peer.display} ${x.connections.text}`).sort();

describe.each(API_BACKENDS)("subscriptions over graphql-ws on $name", (backend) => {
  const svc = useTestService(() => ({
    backend,
    name: "subs",
    files: initialFiles(),
    tokens: [
      { name: "admin", token: ADMIN },
      { name: "shop-team", token: SHOP_ONLY, namespaces: [SHOP] },
    ],
  }));
  const clients: Client[] = [];
  const subs: Subscription<unknown>[] = [];
  const client = (token?: string) => {
    const c = wsClient(svc().wsUrl, token);
    clients.push(c);
    return c;
  };
  const subscribe = <T,>(c: Client, query: string, variables?: Record<string, unknown>) => {
    const s = new Subscription<T>(c, query, variables);
    subs.push(s as Subscription<unknown>);
    return s;
  };
  /** Subscribes and waits until the server listens for the event (changes made before would be missed). */
  const listening = async <T,>(c: Client, query: string, variables: Record<string, unknown> | undefined, event: "generation" | "revisions") => {
    const before = listeners(svc().service.events, event);
    const s = subscribe<T>(c, query, variables);
    await s.waitFor((x) => x.ended || listeners(svc().service.events, event) > before, `the subscription to listen for ${event}`);
    expect(s.ended, JSON.stringify({ results: s.results, error: s.error })).toBe(false);
    return s;
  };
  const change = async (s: TestService, apply: (t: TestService["manifests"]) => void) => {
    apply(s.manifests);
    return s.reread();
  };

  afterEach(async () => {
    for (const s of subs.splice(0)) s.close();
    for (const c of clients.splice(0)) await c.dispose();
    // Closed subscriptions release their listeners (each test starts from none).
    await waitFor(() => listeners(svc().service.events, "generation") + listeners(svc().service.events, "revisions") === 0, "closed subscriptions to stop listening");
  });

  it("reachabilityChanged fires with gained and lost peers when who can reach the target changes, and only then", async () => {
    const s = svc();
    const sub = await listening<Change>(client(ADMIN), REACH_SUB, { t: { namespace: SHOP, name: "backend" } }, "generation");

    // A change elsewhere: nothing for the backend.
    await change(s, (t) => t.write("payments/worker-isolated.yaml", networkPolicy(PAYMENTS, "worker-isolated", { podSelector: { matchLabels: { app: "worker" } }, policyTypes: ["Ingress"] })));
    const g1 = await change(s, (t) => t.write("shop/backend-allow-frontend.yaml", backendAllow(["frontend", "probe"])));
    await sub.waitFor((x) => x.data.length >= 1, "a reachabilityChanged event");
    const g2 = await change(s, (t) => t.write("shop/backend-allow-frontend.yaml", backendAllow(["frontend"])));
    await sub.waitFor((x) => x.data.length >= 2, "a second reachabilityChanged event");

    expect(sub.results.every((r) => r.errors === undefined)).toBe(true);
    expect(sub.data.map((d) => d.reachabilityChanged)).toEqual([
      { cluster: "test", generation: g1, workload: { namespace: SHOP, kind: "Deployment", name: "backend" }, gained: [{ peer: { display: "shop/probe[Pod]" }, connections: { text: "TCP 80" } }], lost: [] },
      { cluster: "test", generation: g2, workload: { namespace: SHOP, kind: "Deployment", name: "backend" }, gained: [], lost: [{ peer: { display: "shop/probe[Pod]" }, connections: { text: "TCP 80" } }] },
    ]);
    await change(s, (t) => t.remove("payments/worker-isolated.yaml"));
  });

  it("policyChanged pushes each revision of the namespace asked for", async () => {
    const s = svc();
    const admin = client(ADMIN);
    const shop = await listening<Revised>(admin, POLICY_SUB, { ns: SHOP }, "revisions");
    const all = await listening<Revised>(admin, POLICY_SUB, {}, "revisions");
    await change(s, (t) => t.write("payments/ledger-isolated.yaml", networkPolicy(PAYMENTS, "ledger-isolated", { podSelector: { matchLabels: { app: "ledger" } }, policyTypes: ["Ingress"] })));
    // (Never back to an earlier content: a manifest's resourceVersion is its content hash, and the
    // history records a (uid, resourceVersion, operation) once, so such a revert would go unrecorded.)
    await change(s, (t) => t.write("shop/backend-allow-frontend.yaml", backendAllow(["frontend", "cache"])));
    await change(s, (t) => t.write("shop/backend-allow-frontend.yaml", backendAllow(["frontend", "cache", "db"])));
    await change(s, (t) => t.remove("payments/ledger-isolated.yaml"));
    await all.waitFor((x) => x.data.length >= 4, "four policyChanged events");
    await shop.waitFor((x) => x.data.length >= 2, "two policyChanged events for shop");

    const line = (r: Revised) => `${r.policyChanged.operation} ${r.policyChanged.namespace}/${r.policyChanged.name}`;
    expect(all.data.map(line)).toEqual([`CREATE ${PAYMENTS}/ledger-isolated`, `UPDATE ${SHOP}/backend-allow-frontend`, `UPDATE ${SHOP}/backend-allow-frontend`, `DELETE ${PAYMENTS}/ledger-isolated`]);
    expect(shop.data.map(line)).toEqual([`UPDATE ${SHOP}/backend-allow-frontend`, `UPDATE ${SHOP}/backend-allow-frontend`]);
    expect(shop.data[0]!.policyChanged).toMatchObject({ cluster: "test", objectKind: "NetworkPolicy", diff: [{ op: "add", path: "/ingress/0/from/1" }] });
    expect(shop.data[1]!.policyChanged).toMatchObject({ diff: [{ op: "add", path: "/ingress/0/from/2" }] });
    const seqs = all.data.map((d) => Number(d.policyChanged.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("a token scoped to shop gets nothing of payments through either subscription", async () => {
    const s = svc();
    const shopClient = client(SHOP_ONLY);
    const admin = client(ADMIN);

    // A target in payments does not exist for this token.
    const hidden = subscribe<Change>(shopClient, REACH_SUB, { t: { namespace: PAYMENTS, name: "api" } });
    await hidden.waitFor((x) => x.ended || x.results.length > 0, "the refused subscription to end");
    const hiddenErrors = hidden.results.flatMap((r) => r.errors ?? []).concat(Array.isArray(hidden.error) ? hidden.error : []);
    expect(hiddenErrors.map((e) => e.extensions?.["code"])).toEqual(["NOT_FOUND"]);
    expect(hiddenErrors[0]!.message).toBe("no payments/api visible to this token");
    expect(hidden.data.filter((d) => d.reachabilityChanged)).toEqual([]);

    // policyChanged on payments ends without a single event.
    const paymentsPolicies = subscribe<Revised>(shopClient, POLICY_SUB, { ns: PAYMENTS });
    await paymentsPolicies.waitFor((x) => x.ended, "policyChanged(payments) to complete");
    expect(paymentsPolicies.results).toEqual([]);

    const shopCache = await listening<Change>(shopClient, REACH_SUB, { t: { namespace: SHOP, name: "cache" } }, "generation");
    const adminCache = await listening<Change>(admin, REACH_SUB, { t: { namespace: SHOP, name: "cache" } }, "generation");
    const shopPolicies = await listening<Revised>(shopClient, POLICY_SUB, {}, "revisions");
    const adminPolicies = await listening<Revised>(admin, POLICY_SUB, {}, "revisions");

    const onlyFrom = (peer: unknown) => networkPolicy(SHOP, "cache-ingress", { podSelector: { matchLabels: { app: "cache" } }, ingress: [{ from: [peer] }] });
    // 1: only payments may reach the cache: shop peers and the outside are lost (both see it).
    await change(s, (t) => t.write("shop/cache-ingress.yaml", onlyFrom({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": PAYMENTS } } })));
    // 2: only payments' worker: payments peers lost, which the shop token must not hear about.
    await change(s, (t) => t.write("shop/cache-ingress.yaml", onlyFrom({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": PAYMENTS } }, podSelector: { matchLabels: { app: "worker" } } })));
    // 3: a payments policy revision, which the shop token must not see either.
    await change(s, (t) => t.write("payments/api-allow-shop.yaml", networkPolicy(PAYMENTS, "api-allow-shop", { podSelector: { matchLabels: { app: "api" } }, policyTypes: ["Ingress"] })));
    // 4: the cache opens again: everyone regained (the shop token sees its part).
    await change(s, (t) => t.remove("shop/cache-ingress.yaml"));
    await adminCache.waitFor((x) => x.data.length >= 3, "three cache changes for the admin");
    await shopCache.waitFor((x) => x.data.length >= 2, "two cache changes for the shop token");
    await adminPolicies.waitFor((x) => x.data.length >= 4, "four revisions for the admin");
    await shopPolicies.waitFor((x) => x.data.length >= 3, "three revisions for the shop token");

    const shopLost = ["0.0.0.0-255.255.255.255[External] All Connections", "shop/backend[Deployment] All Connections", "shop/db[Deployment] All Connections", "shop/db[StatefulSet] All Connections", "shop/probe[Pod] All Connections"];
    const paymentsLost = ["payments/api[Deployment] All Connections", "payments/ledger[Pod] All Connections"];
    const a = adminCache.data.map((d) => d.reachabilityChanged);
    expect(a.map((c) => [entries(c.gained), entries(c.lost)])).toEqual([
      [[], shopLost],
      [[], paymentsLost],
      [[...shopLost, ...paymentsLost].sort(), []],
    ]);
    const sh = shopCache.data.map((d) => d.reachabilityChanged);
    expect(sh.map((c) => [entries(c.gained), entries(c.lost)])).toEqual([
      [[], shopLost],
      [shopLost, []],
    ]);
    expect(sh.map((c) => c.generation)).toEqual([a[0]!.generation, a[2]!.generation]);

    const names = (xs: Revised[]) => xs.map((r) => `${r.policyChanged.operation} ${r.policyChanged.namespace}/${r.policyChanged.name}`);
    expect(names(adminPolicies.data)).toEqual([`CREATE ${SHOP}/cache-ingress`, `UPDATE ${SHOP}/cache-ingress`, `UPDATE ${PAYMENTS}/api-allow-shop`, `DELETE ${SHOP}/cache-ingress`]);
    expect(names(shopPolicies.data)).toEqual([`CREATE ${SHOP}/cache-ingress`, `UPDATE ${SHOP}/cache-ingress`, `DELETE ${SHOP}/cache-ingress`]);
    expect(JSON.stringify([shopCache.results, shopPolicies.results])).not.toContain(PAYMENTS + "/");
    await change(s, (t) => t.write("payments/api-allow-shop.yaml", ...initialFiles()["payments/api-allow-shop.yaml"]!));
  });

  it("closing a subscription releases it at once, without waiting for the next event", async () => {
    const events = svc().service.events;
    const before = [listeners(events, "generation"), listeners(events, "revisions")];
    expect(before).toEqual([0, 0]);
    const c = client(ADMIN);
    const opened = [
      await listening(c, REACH_SUB, { t: { namespace: SHOP, name: "backend" } }, "generation"),
      await listening(c, REACH_SUB, { t: { namespace: SHOP, name: "cache" } }, "generation"),
      await listening(c, POLICY_SUB, { ns: SHOP }, "revisions"),
    ];
    expect([listeners(events, "generation"), listeners(events, "revisions")]).toEqual([before[0]! + 2, before[1]! + 1]);
    for (const s of opened) s.close();
    await opened[0]!.waitFor(() => listeners(events, "generation") === before[0] && listeners(events, "revisions") === before[1], "the listeners to be released");
  });

  it("refuses a connection without a token or with an unknown one", async () => {
    for (const token of [undefined, "not-a-token", `${ADMIN}x`]) {
      const s = subscribe<Revised>(client(token), POLICY_SUB, {});
      await s.waitFor((x) => x.ended, "the connection to be refused");
      expect(s.results).toEqual([]);
      expect(s.error).toMatchObject({ code: 4403, reason: "Forbidden" });
    }
  });
});
