/**
 * What kubereach makes of a deployment's command line and environment: `kubereach config print
 * --json` run in-process with exactly that environment (and nothing of the test runner's), so a
 * flag, variable or configuration file that kubereach would refuse fails the test.
 */
import { vi } from "vitest";
import { ENVIRONMENT } from "../../src/app/config.js";
import { main } from "../../src/cli/main.js";

export interface EffectiveConfig {
  readonly clusterId?: string;
  readonly source: { readonly type: string; readonly kubeconfig?: string; readonly inCluster?: boolean };
  readonly database: { readonly url?: string; readonly migrationUrl?: string; readonly dataDir: string };
  readonly server: { readonly port: number; readonly host?: string; readonly tokens: ReadonlyArray<{ readonly name: string; readonly namespaces?: readonly string[] }> };
  readonly log: { readonly level: string };
}

/**
 * `args` is the container's arguments after the command name (`serve ...` -> pass what follows
 * `serve`): serve, sync and config print share the source, store and server options.
 */
export async function effectiveConfig(args: readonly string[], env: Readonly<Record<string, string>>): Promise<{ code: number; config?: EffectiveConfig; stderr: string }> {
  for (const name of [...Object.keys(ENVIRONMENT), "KUBEREACH_CONFIG", "KUBECONFIG"]) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  let stdout = "";
  let stderr = "";
  try {
    const code = await main(["node", "kubereach", "config", "print", "--json", ...args], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      stderrIsTty: false,
      cwd: process.cwd(),
    });
    return code === 0 ? { code, config: JSON.parse(stdout) as EffectiveConfig, stderr } : { code, stderr };
  } finally {
    vi.unstubAllEnvs();
  }
}
