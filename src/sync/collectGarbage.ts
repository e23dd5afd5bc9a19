/**
 * A full garbage collection on request, for the moments it pays: before the first generation of a
 * process is computed, and once it is computed, before it is committed.
 *
 * By then the initial listing has been read, mapped and written (at 150,000 pods ~600 MB of dead
 * objects and ~270 MB of dead response and write buffers, promoted to the old generation during
 * the listing), and V8, with room left below its heap limit, had not collected them; the first
 * computation (~1 GB allocated in one stretch) then came on top of them: a peak RSS of 2.4-2.9 GiB
 * against ~1 GiB live. The computation leaves ~270 MB of garbage in turn, under the commit (the
 * delta, the digest from scratch, the readers' index): a peak of 2.0 GiB, 1.9 GiB with the second
 * collection. No reader waits yet (there is no generation to read), so the pauses (0.5 and 1 s at
 * 150,000 pods) cost nobody.
 *
 * Node offers `gc` only with --expose-gc; as Jest does for --logHeapUsage, the flag is set at run
 * time and `gc` taken from a new context (a flag set after start applies to contexts made after).
 * Where that is refused, nothing is collected.
 */
import v8 from "node:v8";
import vm from "node:vm";

let collect: (() => void) | null | undefined;

/** Runs a full collection; false where the runtime does not allow it. */
export function collectGarbage(): boolean {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString("--expose-gc");
      collect = vm.runInNewContext("gc") as () => void;
    } catch {
      collect = null;
    }
  }
  collect?.();
  return collect !== null;
}
