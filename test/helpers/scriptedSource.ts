/** A ClusterSource for SyncService tests: lists what it is given, then hands out its handler for scripted events. */
import type { ClusterObject, ObjectKind } from "../../src/domain/objects.js";
import type { ClusterSource, SourceHandler } from "../../src/sync/source.js";

/**
 * `listings` are listed in order when the service starts (a kind's initial listing each); the
 * handler is available from then on (`handler()`), to send upserts, removals and relists.
 */
export function scriptedSource(listings: readonly (readonly [ObjectKind, readonly ClusterObject[]])[]): { readonly source: ClusterSource; handler(): SourceHandler } {
  let handler: SourceHandler | undefined;
  const source: ClusterSource = {
    description: "scripted",
    async start(h: SourceHandler) {
      handler = h;
      for (const [kind, objects] of listings) await h.list(kind, objects, "list");
    },
    stop: async () => undefined,
    status: () => ({ description: "scripted", kinds: [] }),
  };
  return {
    source,
    handler: () => {
      if (!handler) throw new Error("the scripted source has not been started");
      return handler;
    },
  };
}
