/**
 * The output formats of each command, in a module of their own: registering the commands (and
 * `--help`) needs the lists, not the formatters and the engine behind them.
 */
export const CONNECTIVITY_FORMATS = ["text", "json", "csv", "md", "dot"] as const;
export type ConnectivityFormat = (typeof CONNECTIVITY_FORMATS)[number];
export const DIFF_FORMATS = ["text", "json", "csv", "md"] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];
export const EXPLAIN_FORMATS = ["text", "json"] as const;
export type ExplainFormat = (typeof EXPLAIN_FORMATS)[number];
export const FINDINGS_FORMATS = ["text", "json", "csv", "md"] as const;
export type FindingsFormat = (typeof FINDINGS_FORMATS)[number];
export const SOURCES_FORMATS = ["text", "json"] as const;
export type SourcesFormat = (typeof SOURCES_FORMATS)[number];
