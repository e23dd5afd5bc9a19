/**
 * Long engine work written as a generator that yields (nothing) at points where the caller may
 * give its event loop a turn: the engine stays pure, the caller decides whether to pause
 * (src/domain/TimeSlicer.ts runs such work in time slices) or to run it in one go (`runSteps`).
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs `work` to its end in one go. */
export function runSteps<T>(work: Steps<T>): T {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
}

/** Pairs evaluated (or items handled) between two yields of engine work. */
export const STEP_ITEMS = 256;
