import { parseArgs } from "node:util";
import { startEmulator, type Emulator, type EmulatorInfo } from "./index";

const USAGE = `Usage: npm run emulator [-- --documented-connection-api]

  --documented-connection-api   GET and PUT /data/connection/{key} refuse Lakebase connections (404),
                                as Immuta documents them (for Snowflake, Unity Catalog and Lake Formation only)
`;

/**
 * `npm run emulator`: starts the emulator, prints one JSON line with its URLs and seeded
 * credentials on stdout, and serves until SIGINT or SIGTERM. Diagnostics go to stderr.
 * Environment: EMULATOR_PORT, EMULATOR_POSTGRES_URL, EMULATOR_DATA_DIR, EMULATOR_SEED_FILE.
 */
function main(): void {
  let flags: { "documented-connection-api"?: boolean; help?: boolean };
  try {
    flags = parseArgs({ options: { "documented-connection-api": { type: "boolean" }, help: { type: "boolean", short: "h" } } }).values;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(64);
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  const started = (async () =>
    startEmulator({
      port: portFromEnvironment(),
      connectionApi: flags["documented-connection-api"] ? "documented" : "full",
      // EMULATOR_POSTGRES_URL is read by startEmulator itself.
      dataDir: nonEmpty(process.env.EMULATOR_DATA_DIR),
      seedFile: nonEmpty(process.env.EMULATOR_SEED_FILE),
      log,
    }))();
  // Handlers go in before the start finishes, so a signal during start-up still stops PostgreSQL.
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received, stopping`);
    started
      .then((emulator) => emulator.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log(`stopping failed: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  started.then(
    (emulator) => {
      if (!stopping) process.stdout.write(`${JSON.stringify(infoOf(emulator))}\n`);
    },
    (error: unknown) => {
      log(`could not start: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}

function log(line: string): void {
  process.stderr.write(`[emulator] ${line}\n`);
}

function infoOf(emulator: Emulator): EmulatorInfo {
  const { stop: _stop, ...info } = emulator;
  return info;
}

function portFromEnvironment(): number | undefined {
  const text = nonEmpty(process.env.EMULATOR_PORT);
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`EMULATOR_PORT must be an integer from 0 to 65535, not '${text}'`);
  }
  return port;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

main();
