import { spawn } from "node:child_process";
import type net from "node:net";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";

/** A watchdog told "done" exits at once; this only bounds a stop if it somehow does not. */
const RELEASE_TIMEOUT_MS = 2_000;

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
 * data directory. `release()` is that "done", and resolves once the watchdog has gone.
 */
export function startWatchdog(plan: WatchdogPlan): { release(): Promise<void> } {
  const child = spawn(process.execPath, [path.join(__dirname, "watchdogProcess.js"), JSON.stringify(plan)], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.unref();
  const pipe = child.stdin as net.Socket;
  pipe.on("error", () => undefined);
  // The pipe must not keep this process alive.
  pipe.unref();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    release: async () => {
      pipe.end("done\n");
      // A timer that holds the event loop: with the child and the pipe unreferenced, nothing else might,
      // and a process whose last step is stop() would exit with this promise unsettled.
      const bound = new AbortController();
      await Promise.race([exited, delay(RELEASE_TIMEOUT_MS, undefined, { signal: bound.signal }).catch(() => undefined)]);
      bound.abort();
    },
  };
}
