#!/usr/bin/env node
import { parseArgs } from "node:util";
import { startEmulator, type Emulator, type EmulatorInfo } from "./index";

const USAGE = `Usage: immuta-lakebase-emulator [options]   (in this repository: npm run --silent emulator -- [options])

  --documented-connection-api   GET and PUT /data/connection/{key} refuse Lakebase connections (404),
                                as Immuta documents them (for Snowflake, Unity Catalog and Lake Formation only)
  --rate-limit <n>              at most n requests per second per API key on Immuta's routes (a token bucket)
  --rate-limit-burst <n>        the bucket's size (default: n of --rate-limit, rounded up)
`;

/**
 * `immuta-lakebase-emulator` (`npm run emulator`): starts the emulator, prints one JSON line with
 * its URLs and seeded credentials on stdout (and nothing else there), and serves until SIGINT,
 * SIGTERM or SIGHUP. Diagnostics go to stderr.
 * Environment: EMULATOR_PORT, EMULATOR_POSTGRES_URL, EMULATOR_DATA_DIR, EMULATOR_SEED_FILE.
 */
function main(): void {
  let flags: { "documented-connection-api"?: boolean; "rate-limit"?: string; "rate-limit-burst"?: string; help?: boolean };
  try {
    flags = parseArgs({
      options: {
        "documented-connection-api": { type: "boolean" },
        "rate-limit": { type: "string" },
        "rate-limit-burst": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
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
      ...(flags["rate-limit"] === undefined
        ? {}
        : { rateLimit: { requestsPerSecond: Number(flags["rate-limit"]), burst: Number(flags["rate-limit-burst"] ?? Math.ceil(Number(flags["rate-limit"]))) } }),
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
  // SIGHUP too: a closed terminal must not leave PostgreSQL behind (PostgreSQL itself takes SIGHUP as "reload").
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, shutdown);
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
