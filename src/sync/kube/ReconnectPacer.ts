/**
 * The delay a kind's next list or watch request waits after a watch that ended at once without
 * events (KindSupervisor): set by the watch's end, waited out once by the next request, and cut
 * short by stop() so that no retired informer lingers in a timer.
 */
interface Sleep {
  readonly timer: NodeJS.Timeout;
  readonly resolve: () => void;
}

export class ReconnectPacer {
  private delayMs = 0;
  private readonly sleeps = new Set<Sleep>();

  /** The next request waits `ms` (replacing a delay not yet waited out). */
  delayNext(ms: number): void {
    this.delayMs = ms;
  }

  /** Waits out the pending delay, if any (once: the request after it goes at once); `skip`: the caller was retired. */
  async pace(skip: boolean): Promise<void> {
    const ms = this.delayMs;
    if (ms <= 0 || skip) return;
    this.delayMs = 0;
    await this.sleep(ms);
  }

  /** Ends every wait now (stop). */
  cancel(): void {
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.sleeps.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const entry: Sleep = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeps.add(entry);
    });
  }
}
