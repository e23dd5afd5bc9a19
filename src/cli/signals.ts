/**
 * Shutdown on SIGTERM/SIGINT for the long-running commands. The first signal starts a graceful
 * shutdown (the returned promise resolves); a second one means "now" and ends the process.
 */
export function waitForShutdown(onForce: (signal: string) => void = () => process.exit(130)): { readonly signal: Promise<string>; dispose(): void } {
  let first = true;
  let resolve!: (s: string) => void;
  const signal = new Promise<string>((r) => (resolve = r));
  const handler = (s: NodeJS.Signals) => {
    if (first) {
      first = false;
      resolve(s);
    } else onForce(s);
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  return {
    signal,
    dispose() {
      process.off("SIGTERM", handler);
      process.off("SIGINT", handler);
    },
  };
}
