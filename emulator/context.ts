import type pg from "pg";
import type { FaultInjector } from "./http/faults";
import type { RateLimiter } from "./http/rateLimiter";
import type { RequestLog } from "./http/requestLog";
import type { Crawler } from "./immuta/crawler";
import type { ConnectionApi } from "./types";
import type { Seeds } from "./seeds";

/** What the routes of a running emulator share. */
export interface EmulatorContext {
  state: pg.Pool;
  seeds: Seeds;
  crawler: Crawler;
  faults: FaultInjector;
  rateLimiter: RateLimiter;
  requestLog: RequestLog;
  tokenTtlSeconds: number;
  /** Lifetime of the Databricks OAuth tokens the token endpoint issues. */
  databricksTokenTtlSeconds: number;
  /** How GET/PUT /data/connection/{key} answer for a Lakebase connection (see EmulatorOptions.connectionApi). */
  connectionApi: ConnectionApi;
  /** Back to the seeds (see POST /__emulator/reset). */
  reset(): Promise<void>;
}
