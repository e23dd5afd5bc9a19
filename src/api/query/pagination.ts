/**
 * Pages of the API's lists: the page size check and the opaque cursors. An offset cursor holds the
 * generation and the offset of a page's last row, so the next page reads the same generation
 * whatever was committed since; a seq cursor holds the history's seq of the last revision shown.
 */
import { BadInputError } from "../../domain/errors.js";

/** Throws BAD_INPUT unless 1 <= first <= max. */
export function checkPageSize(first: number, max: number): void {
  if (!Number.isInteger(first) || first < 1 || first > max) throw new BadInputError(`first must be between 1 and ${max}`);
}

export interface OffsetCursor {
  /** The generation the list was read from. */
  readonly g: number;
  /** The offset of the row the cursor stands at. */
  readonly o: number;
}

export function encodeOffsetCursor(generation: number, offset: number): string {
  return Buffer.from(JSON.stringify({ g: generation, o: offset })).toString("base64url");
}

export function decodeOffsetCursor(cursor: string): OffsetCursor {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { g?: unknown; o?: unknown };
    if (Number.isInteger(v.g) && Number.isInteger(v.o) && (v.o as number) >= 0) return { g: v.g as number, o: v.o as number };
  } catch {
    // fall through
  }
  throw new BadInputError("after: not a cursor this API returned");
}

export function encodeSeqCursor(seq: bigint): string {
  return Buffer.from(`seq:${seq}`).toString("base64url");
}

export function decodeSeqCursor(cursor: string): bigint {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const m = /^seq:(\d+)$/.exec(text);
  if (!m) throw new BadInputError("after: not a cursor this API returned");
  return BigInt(m[1]!);
}
