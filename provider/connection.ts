/**
 * Registering, reading, updating and deregistering a Lakebase connection in Immuta.
 */
import { ConnectionExistsError, CrawlError, ImmutaApiError } from "./errors";
import type { ImmutaClient } from "./immuta/client";
import {
  connectionView,
  connectionWriteResponse,
  crawlJobOutput,
  deleteObjectResponse,
  jobsResponse,
  objectView,
  paths,
  registrationBody,
  updateBody,
  type ConnectionView,
  type Job,
  type LakebaseConnectionSpec,
} from "./immuta/wire";
import { assertPrivileges } from "./lakebase/preflight";

const PERMISSION = "APPLICATION_ADMIN";

/** What the user declared, validated and normalised. */
export interface ConnectionDeclaration extends LakebaseConnectionSpec {
  readonly preflight: boolean;
  readonly adopt: boolean;
}

/** The connection as Immuta has it now (never the secret: Immuta does not return it). */
export interface LiveConnection {
  readonly connectionKey: string;
  readonly technology: string;
  readonly hostname: string;
  readonly port: number;
  readonly database: string;
  readonly workspaceUrl: string;
  readonly clientId: string;
  readonly state: string | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
}

export interface CrawlResult {
  readonly state: Job["state"] | "none";
  readonly objectCount: number | null;
}

export interface ConnectionOptions {
  /** Progress lines for the user (the dynamic-provider host passes stdout through to the CLI). */
  readonly log: (message: string) => void;
  readonly crawlTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** The fields Immuta stores; a difference in any of them is drift, and the adopt check compares them. */
export const REMOTE_FIELDS = ["hostname", "port", "database", "workspaceUrl", "clientId"] as const;

/** What an update writes to Immuta; a change in any of them also means the principal is checked again. */
const STORED_FIELDS = [...REMOTE_FIELDS, "clientSecret"] as const;

export async function readConnection(client: ImmutaClient, key: string): Promise<LiveConnection | undefined> {
  const [view, object] = await Promise.all([
    orUndefinedIfMissing(client.request({ operation: `Reading connection "${key}"`, method: "GET", path: paths.connection(key), response: connectionView, permission: PERMISSION })),
    orUndefinedIfMissing(client.request({ operation: `Reading the object of connection "${key}"`, method: "GET", path: paths.object([key]), response: objectView, permission: PERMISSION })),
  ]);
  if (!view || !object) return undefined;
  return live(view, object.state ?? null);
}

export interface Registration {
  readonly connection: LiveConnection;
  readonly crawl: CrawlResult;
  readonly adopted: boolean;
}

/**
 * Registers the connection and waits for its first crawl. A key that is already taken is adopted
 * only when it matches the declaration and either `adopt` is set or our own retried request
 * registered it (the first attempt reached Immuta but its answer was lost).
 *
 * Throws AfterRegistration when Immuta holds the connection but a later step failed, so that the
 * caller can record it rather than orphan it.
 */
export async function registerConnection(client: ImmutaClient, decl: ConnectionDeclaration, opts: ConnectionOptions): Promise<Registration> {
  if (decl.preflight) await assertPrivileges(decl, decl, opts.requestTimeoutMs);
  let bulkId: string | null | undefined;
  let adopted = false;
  try {
    const created = await client.request({
      operation: `Registering connection "${decl.connectionKey}"`,
      method: "POST",
      path: paths.connections(),
      body: registrationBody(decl),
      response: connectionWriteResponse,
      permission: PERMISSION,
    });
    bulkId = created.bulkId;
    opts.log(`Registered connection "${decl.connectionKey}"; Immuta is crawling its objects.`);
  } catch (error) {
    if (!(error instanceof ImmutaApiError) || error.status !== 409) throw error;
    bulkId = await adoptExisting(client, decl, error.attempts > 1, opts);
    adopted = true;
  }
  return afterRegistration(decl.connectionKey, async () => {
    const crawl = await waitForCrawl(client, decl.connectionKey, bulkId, opts);
    const connection = await readConnection(client, decl.connectionKey);
    if (!connection) throw new Error(`connection "${decl.connectionKey}" disappeared right after it was registered`);
    return { connection, crawl, adopted };
  });
}

async function adoptExisting(client: ImmutaClient, decl: ConnectionDeclaration, ownRetry: boolean, opts: ConnectionOptions): Promise<string | null | undefined> {
  const existing = await readConnection(client, decl.connectionKey);
  if (!existing) throw new ConnectionExistsError(`Immuta reports connection "${decl.connectionKey}" as existing but it cannot be read. Check the API key's permissions (${PERMISSION}).`);
  const mismatches = REMOTE_FIELDS.filter((field) => !sameValue(field, existing[field], decl[field]));
  if (!decl.adopt && !ownRetry) {
    throw new ConnectionExistsError(
      `A connection with the key "${decl.connectionKey}" already exists in Immuta. To manage it with Pulumi, set adopt: true ` +
        "(it is adopted only if its hostname, port, database, workspaceUrl and clientId match); otherwise choose another displayName.",
    );
  }
  if (mismatches.length > 0) {
    const details = mismatches.map((field) => `${field}: Immuta has ${JSON.stringify(existing[field])}, declared ${JSON.stringify(decl[field])}`).join("; ");
    throw new ConnectionExistsError(
      `A connection with the key "${decl.connectionKey}" already exists in Immuta but does not match the declaration (${details}). ` +
        "Declare the values Immuta has to adopt it, or choose another displayName.",
    );
  }
  opts.log(`Adopting the existing connection "${decl.connectionKey}" and applying the declared client secret.`);
  const updated = await putConnection(client, decl);
  return updated.bulkId;
}

/**
 * Updates the connection in place. `previous` is what the provider last recorded (refreshed from
 * Immuta when a refresh ran), so that only a real difference is written and checked again.
 */
export async function updateConnection(
  client: ImmutaClient,
  decl: ConnectionDeclaration,
  previous: LakebaseConnectionSpec,
  opts: ConnectionOptions,
): Promise<{ connection: LiveConnection; crawl: CrawlResult | undefined }> {
  let crawl: CrawlResult | undefined;
  if (STORED_FIELDS.some((field) => !sameValue(field, previous[field], decl[field]))) {
    if (decl.preflight) await assertPrivileges(decl, decl, opts.requestTimeoutMs);
    const written = await putConnection(client, decl);
    crawl = written.bulkId ? await waitForCrawl(client, decl.connectionKey, written.bulkId, opts) : undefined;
  }
  const connection = await readConnection(client, decl.connectionKey);
  if (!connection) throw new Error(`connection "${decl.connectionKey}" disappeared while it was being updated`);
  return { connection, crawl };
}

function putConnection(client: ImmutaClient, decl: ConnectionDeclaration) {
  return client.request({
    operation: `Updating connection "${decl.connectionKey}"`,
    method: "PUT",
    path: paths.connection(decl.connectionKey),
    body: updateBody(decl),
    response: connectionWriteResponse,
    permission: PERMISSION,
  });
}

/** Deregisters the connection (and with it every object and data source under it). Already gone is success. */
export async function deregisterConnection(client: ImmutaClient, key: string, opts: Pick<ConnectionOptions, "log">): Promise<void> {
  const deleted = await orUndefinedIfMissing(
    client.request({ operation: `Deregistering connection "${key}"`, method: "DELETE", path: paths.object([key]), response: deleteObjectResponse, permission: PERMISSION }),
  );
  opts.log(deleted ? `Deregistered connection "${key}" and ${deleted.childCount} object(s) under it.` : `Connection "${key}" was already gone.`);
}

/** Polls the crawl's jobs until they end, with growing pauses, until opts.crawlTimeoutMs. */
async function waitForCrawl(client: ImmutaClient, key: string, bulkId: string | null | undefined, opts: ConnectionOptions): Promise<CrawlResult> {
  if (!bulkId) return { state: "none", objectCount: null };
  const deadline = Date.now() + opts.crawlTimeoutMs;
  let pause = 250;
  let reported = "";
  for (;;) {
    const jobs = await client.request({ operation: `Checking the crawl of connection "${key}"`, method: "GET", path: paths.jobs(), query: { bulkId }, response: jobsResponse, permission: PERMISSION });
    const failed = jobs.find((job) => job.state === "failed" || job.state === "cancelled" || job.state === "expired");
    if (failed) {
      const output = crawlJobOutput.safeParse(failed.output);
      throw new CrawlError(`The crawl of connection "${key}" ${failed.state}${output.success && output.data.error ? `: ${output.data.error}` : ""}. Fix the cause and run pulumi up again (the connection is kept).`);
    }
    if (jobs.length > 0 && jobs.every((job) => job.state === "completed")) {
      const counts = jobs.map((job) => crawlJobOutput.safeParse(job.output)).flatMap((o) => (o.success && o.data.objectCount !== undefined ? [o.data.objectCount] : []));
      const objectCount = counts.length > 0 ? counts.reduce((a, b) => a + b, 0) : null;
      opts.log(`The crawl of connection "${key}" completed${objectCount === null ? "" : `: ${objectCount} object(s)`}.`);
      return { state: "completed", objectCount };
    }
    const progress = jobs.map((job) => job.state).join(", ") || "not started";
    if (progress !== reported) opts.log(`Waiting for the crawl of connection "${key}" (${progress}).`);
    reported = progress;
    if (Date.now() + pause > deadline) {
      throw new CrawlError(`The crawl of connection "${key}" did not finish within ${Math.round(opts.crawlTimeoutMs / 1000)} s (jobs: ${progress}). The connection is registered; raise immuta:crawlTimeoutMs or check the crawl in Immuta.`);
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 5_000);
  }
}

/** Marks errors thrown after the connection exists, so that the resource records it instead of orphaning it. */
export class AfterRegistration extends Error {
  constructor(
    readonly connectionKey: string,
    readonly failure: Error,
  ) {
    super(failure.message, { cause: failure });
  }
}

async function afterRegistration<T>(key: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new AfterRegistration(key, error instanceof Error ? error : new Error(String(error)));
  }
}

function live(view: ConnectionView, state: string | null): LiveConnection {
  return {
    connectionKey: view.connectionKey,
    technology: view.connection.technology,
    hostname: view.connection.hostname.toLowerCase(),
    port: view.connection.port,
    database: view.connection.database,
    workspaceUrl: view.connection.workspaceUrl.replace(/\/+$/, "").toLowerCase(),
    clientId: view.connection.oAuthClientConfig.clientId,
    state,
    createdAt: view.createdAt ?? null,
    updatedAt: view.updatedAt ?? null,
  };
}

/** Hostnames, URLs and client ids (UUIDs) compare case-insensitively; the rest exactly. */
export function sameValue(field: string, a: unknown, b: unknown): boolean {
  if (typeof a === "string" && typeof b === "string" && field !== "clientSecret" && field !== "database") return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

async function orUndefinedIfMissing<T>(pending: Promise<T>): Promise<T | undefined> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof ImmutaApiError && error.status === 404) return undefined;
    throw error;
  }
}
