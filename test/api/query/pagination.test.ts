/**
 * Page sizes and the opaque cursors of the API's lists (src/api/query/pagination.ts): what is
 * encoded decodes back, and anything else (another API's cursor, a hand-made one) is BAD_INPUT.
 */
import { describe, expect, it } from "vitest";
import { checkPageSize, decodeOffsetCursor, decodeSeqCursor, encodeOffsetCursor, encodeSeqCursor } from "../../../src/api/query/pagination.js";

const b64 = (text: string) => Buffer.from(text).toString("base64url");
const NOT_A_CURSOR = { code: "BAD_INPUT", message: "after: not a cursor this API returned" };

describe("pagination", () => {
  it("offset cursors carry the generation and the offset", () => {
    expect(decodeOffsetCursor(encodeOffsetCursor(7, 0))).toEqual({ g: 7, o: 0 });
    expect(decodeOffsetCursor(encodeOffsetCursor(1, 999))).toEqual({ g: 1, o: 999 });
    for (const bad of ["", "!!!", b64("{}"), b64('{"g":1,"o":-1}'), b64('{"g":1.5,"o":0}'), b64('{"g":"1","o":0}'), encodeSeqCursor(3n)])
      expect(() => decodeOffsetCursor(bad)).toThrow(expect.objectContaining(NOT_A_CURSOR));
  });

  it("seq cursors carry a history seq, as a bigint", () => {
    expect(decodeSeqCursor(encodeSeqCursor(12345678901234567890n))).toBe(12345678901234567890n);
    for (const bad of ["", b64("seq:"), b64("seq:-1"), b64("seq:1x"), encodeOffsetCursor(1, 2)]) expect(() => decodeSeqCursor(bad)).toThrow(expect.objectContaining(NOT_A_CURSOR));
  });

  it("page sizes are whole numbers from 1 to the list's maximum", () => {
    for (const ok of [1, 500, 1000]) expect(() => checkPageSize(ok, 1000)).not.toThrow();
    for (const bad of [0, -1, 1001, 2.5, Number.NaN]) expect(() => checkPageSize(bad, 1000)).toThrow(expect.objectContaining({ code: "BAD_INPUT", message: "first must be between 1 and 1000" }));
  });
});
