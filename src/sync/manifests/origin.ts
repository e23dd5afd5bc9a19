/**
 * Origins name where an object came from: `path/to/file.yaml#<document>` (0-based document index in
 * the file), plus `.items[<i>]` for each List level, and for pod templates a trailing
 * ` (spec.template)`. They are opaque to the engine; here they are built and ordered.
 */
export function documentOrigin(file: string, document: number): string {
  return `${file}#${document}`;
}

export function itemOrigin(parent: string, item: number): string {
  return `${parent}.items[${item}]`;
}

const ORIGIN = /^(.*)#(\d+)((?:\.items\[\d+\])*)/;

interface Place {
  readonly file: number;
  readonly path: readonly number[];
}

/**
 * Orders things carrying an origin (diagnostics) as the input reads: by file in reading order, then
 * document, then List item. Things without a recognisable origin keep their order, after the rest.
 */
export function sortByOrigin<T extends { readonly origin?: string | undefined }>(items: readonly T[], files: readonly string[]): T[] {
  const rank = new Map(files.map((f, i) => [f, i]));
  const place = (origin: string | undefined): Place | undefined => {
    const m = origin === undefined ? null : ORIGIN.exec(origin);
    const file = m ? rank.get(m[1]!) : undefined;
    if (!m || file === undefined) return undefined;
    return { file, path: [Number(m[2]), ...[...m[3]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]))] };
  };
  const keyed = items.map((item, i) => ({ item, i, at: place(item.origin) }));
  keyed.sort((a, b) => comparePlaces(a.at, b.at) || a.i - b.i);
  return keyed.map((k) => k.item);
}

function comparePlaces(a: Place | undefined, b: Place | undefined): number {
  if (!a || !b) return a ? -1 : b ? 1 : 0;
  if (a.file !== b.file) return a.file - b.file;
  for (let i = 0; i < Math.min(a.path.length, b.path.length); i++) if (a.path[i] !== b.path[i]) return a.path[i]! - b.path[i]!;
  return a.path.length - b.path.length;
}
