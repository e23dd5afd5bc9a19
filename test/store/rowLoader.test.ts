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
import { JsonRowLoader, PgCopyRowLoader, copyText, type BulkTable, type Cell, type RowLoader } from "../../src/store/rowLoader.js";
import { dropDatabase, pgAdmin, pgUrl, uniqueDbName } from "./helpers/backends.js";

const PROBE: BulkTable = { name: "probe", columns: [["k", "text"], ["n", "int4"], ["t", "text"], ["j", "jsonb"]] };

/** Values COPY's text format must escape, or could mistake for something else. */
const AWKWARD: readonly string[] = ["", "a\tb", "line\nnext", "cr\rlf\r\n", "back\\slash", "\\N", "\\.", "ünïcödé ✓ 𝄞", " lead and trail ", "quote \" ' ,;"];

describe("copyText", () => {
  it.each([
    [[["a", 1, null]], "a\t1\t\\N\n"],
    [[["a\tb", -2, "c\nd"]], "a\\tb\t-2\tc\\nd\n"],
    [[["\\N", 0, "x\\y\r"]], "\\\\N\t0\tx\\\\y\\r\n"],
    [[[""], ["z"]], "\n" + "z\n"],
  ] as [Cell[][], string][])("%j -> %j", (rows, text) => {
    expect([...copyText(rows)].join("")).toBe(text);
  });

  it("sends long input in pieces that end at a row's end", () => {
    const rows = Array.from({ length: 5000 }, (_, i) => [`row-${i}`, "x".repeat(100)]);
    const pieces = [...copyText(rows)];
    expect(pieces.length).toBeGreaterThan(5);
    for (const p of pieces) expect(p.endsWith("\n")).toBe(true);
    expect(pieces.join("").split("\n")).toHaveLength(5001);
  });

  it("refuses a number COPY cannot carry rather than writing NaN", () => {
    expect(() => [...copyText([["a", Number.NaN]])]).toThrow(/NaN/);
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
    copy = new PgCopyRowLoader(pool);
    prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    await prisma.$executeRawUnsafe(`CREATE TABLE probe (k text PRIMARY KEY, n int4, t text, j jsonb)`);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await pool?.end();
    await dropDatabase(database);
  });

  const read = (prefix: string) =>
    prisma.$queryRaw<{ k: string; n: number | null; t: string | null; j: unknown }[]>`SELECT k, n, t, j FROM probe WHERE k LIKE ${prefix + "%"} ORDER BY k`;

  it.each(["COPY", "JSON"])("%s writes every awkward value back as it was, NULLs and JSON included", async (name) => {
    const loader = loaders().find(([n]) => n === name)![1];
    const rows: Cell[][] = AWKWARD.map((t, i) => [`${name}-${String(i).padStart(2, "0")}`, i - 3, t, JSON.stringify({ t, i, nested: [t, null] })]);
    rows.push([`${name}-nulls`, null, null, null]);
    await prisma.$transaction((tx) => loader.insert(tx, PROBE, rows));
    const back = await read(`${name}-`);
    expect(back).toEqual(rows.map(([k, n, t, j]) => ({ k, n, t, j: j === null ? null : JSON.parse(j as string) })));
  });

  it.each(["COPY", "JSON"])("%s writes in the transaction: its rows are gone when the transaction fails", async (name) => {
    const loader = loaders().find(([n]) => n === name)![1];
    const failing = prisma.$transaction(async (tx) => {
      await loader.insert(tx, PROBE, [[`rollback-${name}-1`, 1, "a", null]]);
      const seen = await tx.$queryRaw<{ c: number }[]>`SELECT count(*)::int AS c FROM probe WHERE k = ${`rollback-${name}-1`}`;
      expect(seen[0]!.c).toBe(1); // visible to the transaction itself
      throw new Error("later step failed");
    });
    await expect(failing).rejects.toThrow("later step failed");
    expect(await read(`rollback-${name}-`)).toEqual([]);
  });

  it("COPY in concurrent transactions goes to each one's own connection", async () => {
    const many = (tag: string) => Array.from({ length: 3000 }, (_, i): Cell[] => [`conc-${tag}-${String(i).padStart(5, "0")}`, i, tag, null]);
    const results = await Promise.allSettled(
      ["a", "b", "c", "d"].map((tag) =>
        prisma.$transaction(async (tx) => {
          await copy.insert(tx, PROBE, many(tag));
          await copy.insert(tx, PROBE, [[`conc-${tag}-second`, -1, tag, null]]);
          if (tag === "c") throw new Error("c fails");
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    for (const tag of ["a", "b", "d"]) {
      const rows = await read(`conc-${tag}-`);
      expect(rows).toHaveLength(3001);
      expect(new Set(rows.map((r) => r.t))).toEqual(new Set([tag]));
    }
    expect(await read("conc-c-")).toEqual([]);
  });

  it("a COPY the database refuses fails the transaction with the database's reason, and writes nothing", async () => {
    await prisma.$transaction((tx) => copy.insert(tx, PROBE, [["dup-1", 1, "first", null]]));
    let caught: unknown;
    await prisma
      .$transaction(async (tx) => {
        await copy.insert(tx, PROBE, [["dup-0", 0, "new", null]]);
        await copy.insert(tx, PROBE, [["dup-1", 2, "again", null]]);
      })
      .catch((e: unknown) => (caught = e));
    // The same error the store gives for a duplicate written through Prisma.
    const mapped = toStoreError(caught, "probe");
    expect(mapped).toBeInstanceOf(ConflictError);
    expect((mapped as Error).message).toMatch(/^probe: duplicate key value violates unique constraint "probe_pkey"/);
    expect(await read("dup-")).toEqual([{ k: "dup-1", n: 1, t: "first", j: null }]);
  });

  it("a COPY whose rows fail to encode is abandoned, and the transaction rolls back", async () => {
    const failing = prisma.$transaction(async (tx) => {
      await copy.insert(tx, PROBE, [["enc-1", 1, "ok", null], ["enc-2", Number.POSITIVE_INFINITY, "bad", null]]);
    });
    await expect(failing).rejects.toThrow(/Infinity/);
    expect(await read("enc-")).toEqual([]);
    // The pool's connections still work afterwards.
    await prisma.$transaction((tx) => copy.insert(tx, PROBE, [["enc-3", 3, "after", null]]));
    expect(await read("enc-")).toHaveLength(1);
  });
});
