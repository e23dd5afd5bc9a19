/**
 * The documentation's GraphQL examples, run for real. Every ```graphql block of README.md and of
 * docs/*.md (the catalogue is docs/graphql.md) must be one
 * named operation without variables (arguments are literals, so a block runs as pasted) and valid
 * against schema.graphql, subscriptions included. Every query and mutation must then answer over
 * HTTP, through the GraphQL client the API tests use, with no errors and with data in each of its
 * root fields, from the real service (startService on port 0) syncing the bundled example
 * (examples/seed, what `npm start` serves) into the embedded database in memory. A subscription
 * must be accepted by that service: it starts listening for its event without an error. Each test
 * names its block by operation and README line, so a drifting example says which one broke.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildSchema, GraphQLError, Kind, parse, validate, type DocumentNode, type OperationDefinitionNode } from "graphql";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/app/config.js";
import { silentLogger } from "../../src/app/logger.js";
import { startService, type RunningService } from "../../src/app/service.js";
import { gql, httpClient, listeners, Subscription, wsClient } from "../api/helpers/graphql.js";

const repo = new URL("../..", import.meta.url).pathname;

interface Block {
  /** 1-based line of the block's first GraphQL line in its file. */
  readonly line: number;
  /** README.md or docs/NAME.md. */
  readonly file: string;
  readonly text: string;
  /** `query Name (README.md line N)`, for test names and failure messages. */
  readonly label: string;
}

function readmeBlocks(): Block[] {
  const files = ["README.md", ...readdirSync(join(repo, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  const blocks: Block[] = [];
  for (const file of files) {
    const readme = readFileSync(join(repo, file), "utf8");
    for (const m of readme.matchAll(/^```graphql[ \t]*\n([\s\S]*?)^```[ \t]*$/gm)) {
      const line = readme.slice(0, m.index).split("\n").length + 1;
      const text = m[1]!;
      const head = /^\s*(query|mutation|subscription)\s+(\w+)/m.exec(text);
      blocks.push({ line, file, text, label: `${head ? `${head[1]} ${head[2]}` : "block"} (${file} line ${line})` });
    }
  }
  return blocks;
}

/** The block's document, or the syntax error with the README line it is on. */
function parseBlock(block: Block): DocumentNode {
  try {
    return parse(block.text);
  } catch (err) {
    const loc = err instanceof GraphQLError ? err.locations?.[0] : undefined;
    throw new Error(`${block.label}: not valid GraphQL${loc ? ` at ${block.file} line ${block.line + loc.line - 1}` : ""}: ${(err as Error).message}`);
  }
}

function operationOf(doc: DocumentNode): OperationDefinitionNode {
  const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (ops.length !== 1) throw new Error(`expected exactly one operation, found ${ops.length}`);
  return ops[0]!;
}

/** Something a dashboard could show: a scalar, or a list or object holding one. */
function hasContent(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (Array.isArray(v)) return v.some(hasContent);
  if (typeof v === "object") return Object.values(v).some(hasContent);
  return true;
}

/** The event each subscription root field listens for (src/api/events.ts). */
const SUBSCRIPTION_EVENTS: Readonly<Record<string, "generation" | "revisions">> = {
  reachabilityChanged: "generation",
  policyChanged: "revisions",
};

const schema = buildSchema(readFileSync(join(repo, "schema.graphql"), "utf8"));
const blocks = readmeBlocks();
/** The operation type, or undefined for a block that does not parse (its validity test says why). */
function kindOf(b: Block): string | undefined {
  try {
    return operationOf(parseBlock(b)).operation;
  } catch {
    return undefined;
  }
}

describe("GraphQL examples of README.md and docs/", () => {
  it("has examples: queries, a mutation and a subscription", () => {
    expect(blocks.length, "README.md and docs/ should have at least five ```graphql blocks").toBeGreaterThanOrEqual(5);
    const kinds = new Set(blocks.map(kindOf));
    expect([...kinds].sort()).toEqual(["mutation", "query", "subscription"]);
    expect(blocks.some((b) => b.file === "README.md"), "the README shows one").toBe(true);
  });

  describe.each(blocks)("$label", (block) => {
    it("is one named operation without variables, valid against schema.graphql", () => {
      const doc = parseBlock(block);
      const op = operationOf(doc);
      expect(op.name?.value, `${block.label}: name the operation (dashboards and logs show it)`).toBeTruthy();
      expect(
        op.variableDefinitions?.map((v) => v.variable.name.value) ?? [],
        `${block.label}: write arguments as literals, so the block runs as pasted`,
      ).toEqual([]);
      const errors = validate(schema, doc).map((e) => `${e.message}${e.locations?.[0] ? ` (${block.file} line ${block.line + e.locations[0].line - 1})` : ""}`);
      expect(errors, `${block.label} is not valid against schema.graphql`).toEqual([]);
    });
  });
});

describe("README GraphQL examples against the service on the bundled example", () => {
  let service: RunningService | undefined;
  const running = () => {
    if (!service) throw new Error("the service did not start (see the beforeAll error)");
    return service;
  };

  beforeAll(async () => {
    // What `npm start` runs (no source: the bundled example), with the database in memory and any free port.
    const config = ConfigSchema.parse({
      source: { type: "example" },
      database: { dataDir: ":memory:" },
      server: { port: 0, host: "127.0.0.1" },
      sync: {},
      log: { level: "silent" },
    });
    service = await startService(config, { logger: silentLogger(), eventPollMs: 25 });
    await service.initialSync;
    // Ready as a user would see it before running the examples.
    const deadline = Date.now() + 15_000;
    while (!(await fetch(`${service.api.url}/readyz`)).ok) {
      if (Date.now() > deadline) throw new Error("the service on the bundled example did not become ready within 15 s");
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 180_000);

  afterAll(async () => {
    await service?.stop();
  }, 60_000);

  const runnable = blocks.filter((b) => kindOf(b) !== "subscription");
  const subscriptions = blocks.filter((b) => kindOf(b) === "subscription");

  it.each(runnable)("$label answers with data and no errors over HTTP", async (block) => {
    const client = httpClient(`${running().api.url}/graphql`);
    const r = await gql<Record<string, unknown>>(client, block.text);
    expect(r.errors, `${block.label} answered errors: ${r.body}`).toEqual([]);
    expect(r.status, `${block.label}: HTTP ${r.status}: ${r.body}`).toBe(200);
    const op = operationOf(parseBlock(block));
    const rootKeys = op.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? (s.alias ?? s.name).value : ""));
    for (const key of rootKeys) expect(hasContent(r.data?.[key]), `${block.label}: ${key} answered no data: ${r.body}`).toBe(true);
  });

  it.each(subscriptions)("$label is accepted over graphql-ws", async (block) => {
    const op = operationOf(parseBlock(block));
    const root = op.selectionSet.selections[0];
    const field = root?.kind === Kind.FIELD ? root.name.value : "";
    const event = SUBSCRIPTION_EVENTS[field];
    expect(event, `${block.label}: no event known for subscription field ${field}; add it to SUBSCRIPTION_EVENTS`).toBeDefined();
    const events = running().events;
    const before = listeners(events, event!);
    const client: Client = wsClient(`${running().api.url.replace(/^http/, "ws")}/graphql`);
    const sub = new Subscription<unknown>(client, block.text);
    try {
      await sub.waitFor((s) => s.ended || listeners(events, event!) > before, `${block.label} to be listening`);
      expect(sub.ended, `${block.label} was refused: ${JSON.stringify({ results: sub.results, error: String(sub.error) })}`).toBe(false);
    } finally {
      sub.close();
      await client.dispose();
    }
  });
});
