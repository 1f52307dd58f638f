import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { setTimeout as delay } from "node:timers/promises";

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether `pid` is a PostgreSQL postmaster serving `dataDir` (and not some process that reused its pid). */
export function isPostmasterOf(pid: number, dataDir: string): boolean {
  if (!isRunning(pid)) return false;
  const command = commandLineOf(pid);
  return command !== undefined && /postgres/.test(command) && command.includes(dataDir);
}

/** The first line of a pid file (postmaster.pid, the emulator's owner file) as a pid. */
export function readPidFile(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const pid = Number(text.split("\n", 1)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Asks a postmaster for a fast shutdown and waits (at most `timeoutMs`, then kills it) until it is gone. */
export async function stopPostmaster(pid: number, timeoutMs = 30_000): Promise<void> {
  signal(pid, "SIGINT");
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) signal(pid, "SIGKILL");
    await delay(50);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function commandLineOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    const ps = spawnSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" });
    return ps.status === 0 ? ps.stdout.trim() : undefined;
  }
}
