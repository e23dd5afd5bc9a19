/**
 * Stored connection texts ("TCP 80,443") -> the engine's ConnectionSet. Rows repeat a few texts
 * a lot, so each distinct text is parsed once and kept (server.cache.connectionTexts of them).
 */
import { parseConnectionSet, type ConnectionSet } from "../../engine/index.js";
import { lruCache } from "./caches.js";

export type ConnectionTextParser = (text: string) => ConnectionSet;

export function connectionTextParser(max: number): ConnectionTextParser {
  const parsed = lruCache<ConnectionSet>(max);
  return (text) => {
    let c = parsed.get(text);
    if (!c) parsed.set(text, (c = parseConnectionSet(text)));
    return c;
  };
}
