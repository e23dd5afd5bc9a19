/**
 * The row loaders: COPY on the transaction's own connection (PostgreSQL) and JSON chunks (PGlite,
 * and here on PostgreSQL too, as the reference). Against a real PostgreSQL database of this file.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaClient } from "../../src/generated/prisma/client.js";
import { ConflictError } from "../../src/domain/errors.js";
import { toStoreError } from "../../src/store/errors.js";
import { ROWS_PER_STATEMENT } from "../../src/store/bulkRows.js";
import { JsonRowLoader, PgCopyRowLoader, copyText, inputRows, type BulkTable, type Cell, type RowLoader } from "../../src/store/rowLoader.js";
import { dropDatabase, pgAdmin, pgUrl, uniqueDbName } from "./helpers/backends.js";

const PROBE: BulkTable = { name: "probe", columns: [["k", "text"], ["n", "int4"], ["t", "text"], ["j", "jsonb"], ["b", "bool"]] };
const asIs = (r: readonly Cell[]) => r;
/** Rows enough that the COPY loader COPYs (it sends one statement's worth as JSON). */
const filler = (prefix: string): Cell[][] => Array.from({ length: ROWS_PER_STATEMENT + 1 }, (_, i) => [`${prefix}-filler-${String(i).padStart(4, "0")}`, i, "f", null, i % 2 === 0]);

/** Values COPY's text format must escape, or could mistake for something else. */
const AWKWARD: readonly string[] = ["", "a\tb", "line\nnext", "cr\rlf\r\n", "back\\slash", "\\N", "\\.", "ünïcödé ✓ 𝄞", " lead and trail ", "quote \" ' ,;"];

describe("copyText", () => {
  it.each([
    [[["a", 1, null, true, false]], "a\t1\t\\N\tt\tf\n"],
    [[["a\tb", -2, "c\nd"]], "a\\tb\t-2\tc\\nd\n"],
    [[["\\N", 0, "x\\y\r"]], "\\\\N\t0\tx\\\\y\\r\n"],
    [[[""], ["z"]], "\n" + "z\n"],
  ] as [Cell[][], string][])("%j -> %j", (rows, text) => {
    expect([...copyText(rows, asIs)].join("")).toBe(text);
  });

  it("sends long input in pieces that end at a row's end", () => {
    const rows = Array.from({ length: 5000 }, (_, i) => [`row-${i}`, "x".repeat(100)]);
    const pieces = [...copyText(rows, asIs)];
    expect(pieces.length).toBeGreaterThan(5);
    for (const p of pieces) expect(p.endsWith("\n")).toBe(true);
    expect(pieces.join("").split("\n")).toHaveLength(5001);
  });

  it("refuses an unpaired surrogate rather than writing U+FFFD in its place; a pair is text like any other", () => {
    for (const bad of ["a\ud800", "\udc00b", "x\udc00\ud800y"]) expect(() => [...copyText([[bad]], asIs)]).toThrow(/unpaired UTF-16 surrogate/);
    expect([...copyText([["clef \ud834\udd1e"]], asIs)].join("")).toBe("clef 𝄞\n");
  });

  it("refuses a number COPY cannot carry rather than writing NaN", () => {
    expect(() => [...copyText([["a", Number.NaN]], asIs)]).toThrow(/NaN/);
  });
});

describe("row loaders on PostgreSQL", () => {
  const database = uniqueDbName("rowloader");
  let pool: pg.Pool;
  let prisma: PrismaClient;
  let copy: PgCopyRowLoader;
  const loaders = (): [string, RowLoader][] => [
    ["COPY", copy],
    ["JSON", new JsonRowLoader()],
  ];

  beforeAll(async () => {
    const admin = await pgAdmin();
    try {
      await admin.query(`CREATE DATABASE "${database}"`);
    } finally {
      await admin.end();
    }
    pool = new pg.Pool({ connectionString: pgUrl(database) });
    // As the store's own pool (openStore.ts): pool.end() resolves before its connections have
    // closed, and the DROP DATABASE ... WITH (FORCE) of afterAll can terminate one that is still
    // closing; without a listener the pool re-emits that error as an uncaught exception (the one CI
    // run that reported an error in this file; 56 such errors in 40 rounds of create, query, end, drop).
    pool.on("error", () => undefined);
    copy = new PgCopyRowLoader(pool);
    prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    await prisma.$executeRawUnsafe(`CREATE TABLE probe (k text PRIMARY KEY, n int4, t text, j jsonb, b bool)`);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await pool?.end();
    await dropDatabase(database);
  });

  type ProbeRow = { k: string; n: number | null; t: string | null; j: unknown; b: boolean | null };
  const read = (prefix: string, where = "probe") =>
    prisma.$queryRawUnsafe<ProbeRow[]>(`SELECT k, n, t, j, b FROM ${where} WHERE k LIKE $1 ORDER BY k`, prefix + "%");
  const expected = (rows: readonly (readonly Cell[])[]): ProbeRow[] =>
    rows
      .map(([k, n, t, j, b]) => ({ k: k as string, n: n as number | null, t: t as string | null, j: j === null ? null : JSON.parse(j as string), b: b as boolean | null }))
      .sort((x, y) => (x.k < y.k ? -1 : 1));
  const awkward = (prefix: string): Cell[][] => [
    ...AWKWARD.map((t, i): Cell[] => [`${prefix}-${String(i).padStart(2, "0")}`, i - 3, t, JSON.stringify({ t, i, nested: [t, null] }), i % 2 === 1]),
    [`${prefix}-nulls`, null, null, null, null],
  ];

  it.each(["COPY", "JSON"])("%s writes every awkward value back as it was, NULLs, booleans and JSON included", async (name) => {
    const loader = loaders().find(([n]) => n === name)![1];
    for (const [prefix, rows] of [
      [`${name}-small-`, awkward(`${name}-small`)],
      [`${name}-bulk-`, [...awkward(`${name}-bulk`), ...filler(`${name}-bulk`)]],
    ] as const) {
      await prisma.$transaction((tx) => loader.insert(tx, PROBE, rows, asIs));
      expect(await read(prefix)).toEqual(expected(rows));
    }
  });

  it.each(["COPY", "JSON"])("%s writes in the transaction: its rows are gone when the transaction fails", async (name) => {
    const loader = loaders().find(([n]) => n === name)![1];
    const failing = prisma.$transaction(async (tx) => {
      await loader.insert(tx, PROBE, filler(`rollback-${name}`), asIs);
      const seen = await tx.$queryRaw<{ c: number }[]>`SELECT count(*)::int AS c FROM probe WHERE k LIKE ${`rollback-${name}-%`}`;
      expect(seen[0]!.c).toBe(ROWS_PER_STATEMENT + 1); // visible to the transaction itself
      throw new Error("later step failed");
    });
    await expect(failing).rejects.toThrow("later step failed");
    expect(await read(`rollback-${name}-`)).toEqual([]);
  });

  it("COPY in concurrent transactions goes to each one's own connection", async () => {
    const many = (tag: string) => Array.from({ length: 3000 }, (_, i): Cell[] => [`conc-${tag}-${String(i).padStart(5, "0")}`, i, tag, null, null]);
    const results = await Promise.allSettled(
      ["a", "b", "c", "d"].map((tag) =>
        prisma.$transaction(async (tx) => {
          await copy.insert(tx, PROBE, many(tag), asIs);
          await copy.insert(tx, PROBE, many(`${tag}2`), asIs);
          if (tag === "c") throw new Error("c fails");
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    for (const tag of ["a", "b", "d"]) {
      const rows = await read(`conc-${tag}`);
      expect(rows).toHaveLength(6000);
      expect(new Set(rows.map((r) => r.t))).toEqual(new Set([tag, `${tag}2`]));
    }
    expect(await read("conc-c")).toEqual([]);
  });

  it("a COPY the database refuses fails the transaction with the database's reason, and writes nothing", async () => {
    await prisma.$transaction((tx) => copy.insert(tx, PROBE, [["dup-1", 1, "first", null, null]], asIs));
    let caught: unknown;
    await prisma
      .$transaction(async (tx) => {
        await copy.insert(tx, PROBE, filler("dup-0"), asIs);
        await copy.insert(tx, PROBE, [...filler("dup-2"), ["dup-1", 2, "again", null, null]], asIs);
      })
      .catch((e: unknown) => (caught = e));
    // The same error the store gives for a duplicate written through Prisma.
    const mapped = toStoreError(caught, "probe");
    expect(mapped).toBeInstanceOf(ConflictError);
    expect((mapped as Error).message).toMatch(/^probe: duplicate key value violates unique constraint "probe_pkey"/);
    expect(await read("dup-")).toEqual([{ k: "dup-1", n: 1, t: "first", j: null, b: null }]);
  });

  it("a COPY whose rows fail to encode is abandoned, and the transaction rolls back", async () => {
    const failing = prisma.$transaction(async (tx) => {
      await copy.insert(tx, PROBE, [...filler("enc-1"), ["enc-2", Number.POSITIVE_INFINITY, "bad", null, null]], asIs);
    });
    await expect(failing).rejects.toThrow(/Infinity/);
    expect(await read("enc-")).toEqual([]);
    // The pool's connections still work afterwards.
    await prisma.$transaction((tx) => copy.insert(tx, PROBE, filler("enc-3"), asIs));
    expect(await read("enc-")).toHaveLength(ROWS_PER_STATEMENT + 1);
  });

  it.each(["COPY", "JSON"])("%s refuses an unpaired surrogate in bulk, as in one statement, and writes nothing", async (name) => {
    const loader = loaders().find(([n]) => n === name)![1];
    for (const rows of [[[`lone-${name}-1`, 1, "bad\ud800", null, null]], [...filler(`lone-${name}-2`), [`lone-${name}-3`, 1, "bad\udc00", null, null]]] as Cell[][][]) {
      await expect(prisma.$transaction((tx) => loader.insert(tx, PROBE, rows, asIs))).rejects.toThrow();
    }
    expect(await read(`lone-${name}-`)).toEqual([]);
  });

  it.each(["COPY", "JSON"])("inputRows (%s) gives a statement the same rows inline (one statement's worth) or staged (more)", async (name) => {
    const loader = loaders().find(([n]) => n === name)![1];
    for (const rows of [awkward(`in-${name}-small`), [...awkward(`in-${name}-bulk`), ...filler(`in-${name}-bulk`)]]) {
      const seen = await prisma.$transaction(async (tx) => {
        const source = await inputRows(tx, loader, { ...PROBE, name: "probe_in" }, rows, asIs);
        const staged = await tx.$queryRaw<{ c: number }[]>`SELECT count(*)::int AS c FROM pg_class WHERE relname = 'probe_in' AND relpersistence = 't'`;
        const back = await tx.$queryRaw<ProbeRow[]>`SELECT k, n, t, j, b FROM (${source}) s ORDER BY k`;
        return { staged: staged[0]!.c === 1, back };
      });
      expect(seen.staged).toBe(rows.length > ROWS_PER_STATEMENT);
      expect(seen.back).toEqual(expected(rows));
    }
    // Staged input is dropped at commit: a later transaction stages again under the same name.
    await prisma.$transaction((tx) => inputRows(tx, loader, { ...PROBE, name: "probe_in" }, filler("again"), asIs));
  });
});
