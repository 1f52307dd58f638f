import { spawn } from "node:child_process";
import type net from "node:net";
import path from "node:path";

/** What the watchdog undoes if the emulator process dies without stopping its PostgreSQL. */
export interface WatchdogPlan {
  postmasterPid: number;
  dataDir: string;
  /** A temporary directory to remove once PostgreSQL is gone. */
  removeDir?: string;
  /** The data directory's owner file, removed if it still names `ownerPid`. */
  ownerFile?: string;
  ownerPid: number;
}

/**
 * Starts a detached process that outlives a SIGKILL of this one: it holds the read end of a pipe
 * whose write end only this process has, so the pipe's end tells it that this process is gone.
 * Unless told "done" first (a clean stop), it then stops PostgreSQL and removes the temporary
 * data directory. `release()` is that "done".
 */
export function startWatchdog(plan: WatchdogPlan): { release(): void } {
  const child = spawn(process.execPath, [path.join(__dirname, "watchdogProcess.js"), JSON.stringify(plan)], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.unref();
  const pipe = child.stdin as net.Socket;
  pipe.on("error", () => undefined);
  // The pipe must not keep this process alive.
  pipe.unref();
  return { release: () => pipe.end("done\n") };
}
