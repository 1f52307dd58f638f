import { startEmulator, type Emulator, type EmulatorInfo } from "./index";

/**
 * `npm run emulator`: starts the emulator, prints one JSON line with its URLs and seeded
 * credentials on stdout, and serves until SIGINT or SIGTERM. Diagnostics go to stderr.
 * Environment: EMULATOR_PORT, EMULATOR_POSTGRES_URL, EMULATOR_DATA_DIR, EMULATOR_SEED_FILE.
 */
function main(): void {
  const started = (async () =>
    startEmulator({
      port: portFromEnvironment(),
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
