/**
 * The MatrixReader (src/domain/matrixReader.ts) a query reads a generation through: the store's,
 * or the generation's in-memory GenerationIndex when the generation is small enough
 * (QueryServiceOptions.generationIndexMaxConnections). Indexes are loaded with one snapshot read
 * on first use, or built from memory for generations this process commits (noteSnapshot), derived
 * from the previous generation's index when the snapshot says what changed.
 */
import type { CacheSizes } from "../../domain/config.js";
import { storedMatrixReader, type MatrixReader } from "../../domain/matrixReader.js";
import type { MatrixSnapshot, Store } from "../../domain/repositories.js";
import { cacheKey, lruCache, sharedLoad } from "./caches.js";
import type { GenerationRef } from "./generations.js";
import { GenerationIndex } from "./GenerationIndex.js";
import { TimeSlicer } from "../../domain/TimeSlicer.js";

/** How long a load of the generation after this process's last commit waits for it to be noted. */
const NOTE_WAIT_MS = 500;

export class MatrixReaders {
  /** GenerationIndex per (cluster, generation), the most recently used; undefined: too large to index. */
  private readonly indexes;
  /** Indexes of snapshots noted by noteSnapshot, for deriving the next one. */
  private readonly snapshotIndexes = new WeakMap<MatrixSnapshot, Promise<GenerationIndex>>();
  /** The generation of each index built by noteSnapshot (derived indexes name the index they come from). */
  private readonly indexGeneration = new WeakMap<GenerationIndex, number>();
  /** Per cluster, the generation after the last noted one and when a reader first saw it (see visibleGeneration). */
  private readonly ahead = new Map<string, { readonly generation: number; readonly at: number }>();
  /** Loads waiting for noteSnapshot of their generation (see index). */
  private readonly awaitingNote = new Map<string, (built: Promise<GenerationIndex>) => void>();
  /** The last generation noted per cluster. */
  private readonly noted = new Map<string, number>();
  /** Per cluster, a noted generation whose index is still being derived, and the one before it. */
  private readonly publishing = new Map<string, { readonly generation: number; readonly previous: number }>();

  constructor(
    private readonly store: Pick<Store, "matrix">,
    /** Generations with more class-to-class connections are not indexed (0: none is). */
    private readonly indexMaxConnections: number,
    sizes: Pick<CacheSizes, "generationIndexes">,
    private readonly clock: () => number = Date.now,
  ) {
    this.indexes = lruCache<Promise<GenerationIndex | undefined>>(sizes.generationIndexes);
  }

  /** The store's reader of a generation: one database read per call. */
  stored(ref: GenerationRef): MatrixReader {
    return storedMatrixReader(this.store.matrix, ref.cluster, ref.generation);
  }

  /** The generation's index when it is small enough; loads are shared, failures not kept. */
  index(ref: GenerationRef): Promise<GenerationIndex | undefined> {
    if (this.indexMaxConnections <= 0) return Promise.resolve(undefined);
    const key = cacheKey(ref.cluster, ref.generation);
    // A generation before the last one noted here whose index is gone (the cache keeps the latest
    // ones): its readers resolved it before newer generations came, and are answered from the
    // store, a few rows per question. Loading and indexing its whole snapshot for them took 10 s
    // and a gigabyte at 150,000 pods, and the load evicted the latest generation's index: with
    // generations committed back to back after a large change, every reader then waited seconds.
    const noted = this.noted.get(ref.cluster);
    if (noted !== undefined && ref.generation < noted && !this.indexes.has(key)) return Promise.resolve(undefined);
    return sharedLoad(this.indexes, key, async () => {
      // The generation after the last one this process committed: most likely its own next commit,
      // which other connections see a moment before the commit's own answer arrives here. Its
      // index is about to be noted: wait a little for it rather than read and index the whole
      // snapshot (1.1 s of CPU at 10,000 pods, on the event loop every reader shares).
      if (this.noted.get(ref.cluster) === ref.generation - 1) {
        const noted = await this.noteOf(key, NOTE_WAIT_MS);
        if (noted) return noted;
      }
      const stored = await this.store.matrix.getGeneration(ref.cluster, ref.generation);
      if (!stored || stored.connectionCount > this.indexMaxConnections) return undefined;
      return new TimeSlicer().run(GenerationIndex.buildSliced(await this.store.matrix.snapshotAt(ref.cluster, ref.generation)));
    });
  }

  /**
   * The generation readers of the latest one are answered from: `generation`, or while its index
   * is still being derived from the previous generation's (noteSnapshot), that previous one. A
   * commit is published to this process's readers once indexed, as a database publishes a commit
   * once durable: with dozens of changes batched into one generation the derivation takes a few
   * hundred milliseconds, and readers queued behind it stalled (whoCanReach p99 of 150 ms at
   * 10,000 pods); meanwhile they keep the previous generation, whose answers are cached.
   */
  visibleGeneration(cluster: string, generation: number): number {
    // The generation after the last one noted here, first seen less than NOTE_WAIT_MS ago: this
    // process's own commit, visible to other connections a moment before the commit returns (and
    // noteSnapshot runs). Not yet published; past the wait it is another writer's, and visible.
    const noted = this.noted.get(cluster);
    if (noted !== undefined && generation === noted + 1) {
      const now = this.clock();
      let ahead = this.ahead.get(cluster);
      if (ahead?.generation !== generation) this.ahead.set(cluster, (ahead = { generation, at: now }));
      if (now - ahead.at < NOTE_WAIT_MS) generation = noted;
    }
    const held = this.publishing.get(cluster);
    return held && held.generation === generation ? held.previous : generation;
  }

  /** The index noteSnapshot builds for `key`, if it is noted within `ms` (undefined otherwise). */
  private async noteOf(key: string, ms: number): Promise<GenerationIndex | undefined> {
    let timer: NodeJS.Timeout | undefined;
    // Wrapped: a promise resolved with a promise would wait for it (and throw its failure).
    const noted = new Promise<{ built: Promise<GenerationIndex> } | undefined>((resolve) => {
      this.awaitingNote.set(key, (built) => resolve({ built }));
      timer = setTimeout(() => resolve(undefined), ms);
    });
    const outcome = await noted;
    clearTimeout(timer);
    if (!outcome) {
      this.awaitingNote.delete(key);
      return undefined;
    }
    return outcome.built.catch(() => undefined);
  }

  /** The generation a noted index belongs to (undefined for indexes loaded from the store). */
  generationOf(index: GenerationIndex): number | undefined {
    return this.indexGeneration.get(index);
  }

  /**
   * The snapshot of a generation this process committed: its GenerationIndex is built now from
   * memory (derived from the previous generation's index when the snapshot says what changed), so
   * readers of a new generation never wait for a snapshot read from the database.
   */
  noteSnapshot(cluster: string, generation: number, snapshot: MatrixSnapshot): void {
    if (this.indexMaxConnections <= 0 || snapshot.connections.size > this.indexMaxConnections) return;
    // The hint is read now: the sync drops it when it computes the next generation on this snapshot,
    // which can happen before the previous index is ready, and an index derived without it was
    // built from the whole snapshot instead (seconds and gigabytes at 150,000 pods; under a change
    // every 100 ms each such build made the next one late too: whoCanReach p99 of seconds).
    const hint = snapshot.changedSince;
    const base = hint ? this.snapshotIndexes.get(hint.base) : undefined;
    // Derived in time slices (the event loop is the API's); readers of this generation wait for it.
    const built = (async () => {
      const from = await base?.catch(() => undefined);
      const index = await new TimeSlicer().run(from ? GenerationIndex.deriveSliced(from, snapshot, hint) : GenerationIndex.buildSliced(snapshot));
      this.indexGeneration.set(index, generation);
      return index;
    })();
    this.snapshotIndexes.set(snapshot, built);
    const key = cacheKey(cluster, generation);
    this.indexes.set(key, built);
    this.awaitingNote.get(key)?.(built);
    this.awaitingNote.delete(key);
    // Published to readers of the latest generation once indexed (see visibleGeneration).
    const previous = this.noted.get(cluster);
    this.noted.set(cluster, generation);
    if (base && previous !== undefined) {
      this.publishing.set(cluster, { generation, previous });
      const published = () => {
        if (this.publishing.get(cluster)?.generation === generation) this.publishing.delete(cluster);
      };
      built.then(published, published);
    }
  }

}
