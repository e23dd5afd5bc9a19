/**
 * verifyGenerationChain recomputes each generation's content digest under the scheme its row
 * records (1 when it records none, as rows from before schemes were recorded): a row of an unknown
 * scheme (written by a newer kubereach, or changed) is reported rather than checked under a guess.
 */
import { describe, expect, it } from "vitest";
import { hashGeneration, verifyGenerationChain, type DigestScheme, type StoredGenerationLink } from "../../../src/domain/audit/generationChain.js";
import { GENESIS_HASH } from "../../../src/domain/audit/hashChain.js";

/** A chain of `schemes.length` generations whose digests are "digest-<generation>-<scheme>". */
function chain(schemes: (number | undefined)[]): StoredGenerationLink[] {
  let prev = GENESIS_HASH;
  return schemes.map((scheme, i) => {
    const generation = i + 1;
    const link = { cluster: "c", generation, createdAt: new Date(generation * 1000).toISOString(), contentDigest: `digest-${generation}-${scheme ?? 1}`, revisionSeq: 0n, revisionHash: GENESIS_HASH };
    const hash = hashGeneration(prev, link);
    const row: StoredGenerationLink = { generation, createdAt: link.createdAt, contentDigest: link.contentDigest, revisionSeq: 0n, revisionHash: GENESIS_HASH, prevHash: prev, hash, ...(scheme !== undefined && { digestScheme: scheme }) };
    prev = hash;
    return row;
  });
}

const asked: [number, DigestScheme][] = [];
const digestAt = (generation: number, scheme: DigestScheme) => {
  asked.push([generation, scheme]);
  return Promise.resolve(`digest-${generation}-${scheme}`);
};
const revisionHashAt = () => Promise.resolve(GENESIS_HASH);

describe("verifyGenerationChain and digest schemes", () => {
  it("recomputes each generation under its row's scheme (none recorded: scheme 1)", async () => {
    asked.length = 0;
    const result = await verifyGenerationChain("c", chain([undefined, 1, 2, 2, 3]), digestAt, revisionHashAt);
    expect(result).toMatchObject({ ok: true, verified: 5 });
    expect(asked).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 2],
      [5, 3],
    ]);
  });

  it("reports a row of a scheme it does not know, without recomputing it", async () => {
    asked.length = 0;
    const result = await verifyGenerationChain("c", chain([3, 4]), digestAt, revisionHashAt);
    expect(result).toEqual({ ok: false, verified: 1, generation: 2, reason: "its content digest scheme 4 is not one this version knows" });
    expect(asked).toEqual([[1, 3]]);
  });
});
