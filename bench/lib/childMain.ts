/** Entry point of a bench child process: `childMain.ts <task module URL> <JSON args>` (see child.ts). */
const [, , moduleUrl, rawArgs] = process.argv;

try {
  const mod = (await import(moduleUrl!)) as { run(args: unknown): Promise<unknown> };
  const result = await mod.run(JSON.parse(rawArgs!));
  process.send!({ ok: true, result }, () => process.disconnect());
} catch (err) {
  process.send!({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.disconnect());
  process.exitCode = 1;
}
