/**
 * The root logger. Only this module creates one; components receive `logger.child({ component })`.
 * Service logs are JSON lines (what log pipelines ingest); CLI commands log to stderr so stdout
 * stays machine-readable.
 */
import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** Write to stderr (CLI commands) instead of stdout (the service). */
  readonly stderr?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "kubereach" },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never log credentials that may ride on config objects or request headers.
      redact: { paths: ["*.authorization", "*.token", "*.password", "*.databaseUrl", "req.headers.authorization"], censor: "[redacted]" },
    },
    pino.destination({ fd: options.stderr ? 2 : 1, sync: options.stderr === true }),
  );
}

/** A logger that drops everything, for tests and quiet CLI runs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
