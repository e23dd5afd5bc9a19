/**
 * One process per embedded database directory. PGlite has no lock of its own: two processes on
 * one directory both run as if alone (both "elected", both commit generation 2) and history is
 * silently lost. So the process that opens a directory holds `kubereach.lock` in it (its pid,
 * start time and command), and a second one is refused at once with an error naming the directory
 * and the holder.
 *
 * The lock is created with its content in one step (written to a temporary file, then hard-linked
 * into place: link fails if the lock exists). A lock whose holder is gone (no such pid, or the pid
 * now belongs to a process started at another time: a reused pid, e.g. PID 1 in a restarted
 * container) is stale and taken over: renamed away atomically, so two processes recovering the
 * same stale lock cannot both win.
 */
import { randomUUID } from "node:crypto";
import { linkSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConflictError } from "../domain/errors.js";

export const LOCK_FILE = "kubereach.lock";

interface Holder {
  readonly pid: number;
  /** Process start time in clock ticks since boot (/proc/PID/stat field 22), where known. */
  readonly startTicks?: number;
  readonly startedAt: string;
  readonly command: string;
  /** Unique per acquisition: tells our lock from a successor's. */
  readonly id: string;
}

/** Another live process has this embedded database directory open. */
export class DataDirInUseError extends ConflictError {
  constructor(
    readonly dir: string,
    readonly holder: { pid: number; command?: string; startedAt?: string } | undefined,
  ) {
    super(
      holder
        ? `the embedded database ${dir} is in use by process ${holder.pid}${holder.command ? ` (${holder.command})` : ""}${holder.startedAt ? `, running since ${holder.startedAt}` : ""}. ` +
            `An embedded database serves one process at a time: stop that process, give this one another --data-dir, ` +
            `or share a PostgreSQL database between them (--database-url).`
        : `the embedded database ${dir} is locked by ${join(dir, LOCK_FILE)}, which cannot be read: delete it if no kubereach process uses ${dir}.`,
    );
  }
}

/** Directories this process holds: a second open in the same process is refused too. */
const heldHere = new Set<string>();

function startTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, "utf8")) as Holder;
    return Number.isInteger(h.pid) ? h : undefined;
  } catch {
    return undefined;
  }
}

function alive(holder: Holder, path: string): boolean {
  if (holder.pid === process.pid) return heldHere.has(path);
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  // The pid exists: the same process only if it started when the holder did.
  if (holder.startTicks !== undefined) {
    const now = startTicks(holder.pid);
    if (now !== undefined && now !== holder.startTicks) return false;
  }
  return true;
}

/** Takes the lock of `dir` (which exists) or throws DataDirInUseError; returns its release. */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const me: Holder = {
    pid: process.pid,
    startTicks: startTicks(process.pid),
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    command: process.argv
      .slice(1)
      .map((a) => a.replace(/^.*\/(bin|node_modules)\//, ""))
      .join(" ")
      .slice(0, 200),
    id: randomUUID(),
  };
  if (heldHere.has(path)) throw new DataDirInUseError(dir, { pid: process.pid, command: "this process" });
  for (let attempt = 0; attempt < 5; attempt++) {
    const temp = `${path}.${me.id}`;
    writeFileSync(temp, `${JSON.stringify(me)}\n`);
    try {
      linkSync(temp, path);
      heldHere.add(path);
      return () => release(path, me.id);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      rmSync(temp, { force: true });
    }
    const holder = readHolder(path);
    if (holder && alive(holder, path)) throw new DataDirInUseError(dir, holder);
    if (!holder) {
      // Unreadable or not ours (a lock written by hand?): stale only if it is still there and old.
      continue;
    }
    // Stale: move it away atomically; if what we moved is not the stale lock we judged (another
    // process recovered it and locked meanwhile), put it back and report that process.
    const aside = `${path}.stale-${me.id}`;
    try {
      renameSync(path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw e;
    }
    const moved = readHolder(aside);
    if (moved && moved.id !== holder.id) {
      try {
        linkSync(aside, path);
      } catch {
        // a third process locked meanwhile: it holds the directory now
      }
      rmSync(aside, { force: true });
      throw new DataDirInUseError(dir, moved);
    }
    rmSync(aside, { force: true });
  }
  throw new DataDirInUseError(dir, readHolder(path));
}

function release(path: string, id: string): void {
  heldHere.delete(path);
  // Only our own lock: never a successor's (ours may have been judged stale after a pid check race).
  if (readHolder(path)?.id !== id) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
