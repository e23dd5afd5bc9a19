/**
 * Process-wide handlers for the long-running commands (serve, sync). A promise rejection nobody
 * handled is a bug, but for a service it must not end the process without a word (Node's default,
 * `--unhandled-rejections=throw`, exits with a bare stack trace on stderr): it is logged as an
 * error with its stack, counted, and the service keeps serving. Uncaught exceptions keep Node's
 * behaviour (the process state is unknown), but are logged through the logger first.
 */
import type { Logger } from "pino";

export interface ProcessGuards {
  /** Unhandled rejections seen so far. */
  readonly unhandledRejections: () => number;
  dispose(): void;
}

export function installProcessGuards(logger: Logger): ProcessGuards {
  let rejections = 0;
  const onRejection = (reason: unknown) => {
    rejections++;
    logger.error({ err: reason, unhandledRejections: rejections }, "unhandled promise rejection (a bug; the service keeps running)");
  };
  const onException = (err: Error, origin: string) => {
    logger.fatal({ err, origin }, "uncaught exception; exiting");
  };
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtExceptionMonitor", onException);
  return {
    unhandledRejections: () => rejections,
    dispose() {
      process.off("unhandledRejection", onRejection);
      process.off("uncaughtExceptionMonitor", onException);
    },
  };
}
