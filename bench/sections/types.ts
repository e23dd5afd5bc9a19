/**
 * The contract between bench/run.ts and a bench section (engine, and later sync, store, API load).
 * A section prints its own tables and returns the targets it checked; run.ts prints the summary
 * and sets the exit code. Register new sections in SECTIONS in run.ts.
 */
export interface BenchOptions {
  /** Size names as given on the command line (`1k`, `10k`, `100k`, or `<pods>:<policies>`). */
  readonly sizes: readonly string[];
  /** Independent measurements per size (each in a fresh child process). */
  readonly runs: number;
  readonly seed: number;
  /** Directory for --cpu-prof profiles of each child, when profiling. */
  readonly cpuProfDir: string | undefined;
  /** Random pairs for correctness sanity checks (0 disables them). */
  readonly sanitySamples: number;
}

export interface TargetResult {
  readonly section: string;
  readonly size: string;
  readonly target: string;
  /** The measured value, printable (e.g. `median 812 ms`). */
  readonly measured: string;
  readonly pass: boolean;
}

export interface BenchSection {
  readonly name: string;
  readonly description: string;
  run(options: BenchOptions): Promise<TargetResult[]>;
}

/** The standard cluster sizes every section understands. */
export const SIZE_PRESETS: Readonly<Record<string, { readonly pods: number; readonly policies: number }>> = {
  "1k": { pods: 1_000, policies: 200 },
  "10k": { pods: 10_000, policies: 2_000 },
  "100k": { pods: 100_000, policies: 10_000 },
};

export const DEFAULT_SIZES = Object.keys(SIZE_PRESETS);

/** `10k` (a preset) or `<pods>:<policies>` with optional k/m suffixes, e.g. `50k:5k`. */
export function parseSize(size: string): { pods: number; policies: number } {
  const preset = SIZE_PRESETS[size];
  if (preset) return preset;
  const num = (s: string | undefined) => {
    const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(s ?? "");
    if (!m) return NaN;
    return Math.round(Number(m[1]) * (m[2]!.toLowerCase() === "k" ? 1e3 : m[2]!.toLowerCase() === "m" ? 1e6 : 1));
  };
  const [p, q] = size.split(":");
  const pods = num(p);
  const policies = num(q);
  if (!Number.isFinite(pods) || !Number.isFinite(policies) || pods <= 0 || policies <= 0)
    throw new Error(`unknown size ${JSON.stringify(size)}: use ${DEFAULT_SIZES.join(", ")} or <pods>:<policies> (e.g. 50k:5k)`);
  return { pods, policies };
}
