/** How a proposal applies to a base state (see proposal.ts); apart so the CLI can list them cheaply. */
export const WHATIF_MODES = ["apply", "replace-namespace", "replace-all"] as const;
export type WhatIfMode = (typeof WHATIF_MODES)[number];
