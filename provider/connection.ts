/**
 * Registering, reading, updating and deregistering a Lakebase connection in Immuta.
 */
import { ConnectionExistsError, CrawlError, ImmutaApiError, ImmutaUnreachableError, redact } from "./errors";
import { ifFound, type ImmutaClient } from "./immuta/client";
import {
  connectionView,
  connectionWriteResponse,
  crawlJobOutput,
  crawlResponse,
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
  /** active / inactive; null when Immuta has no object for the connection (yet). */
  readonly state: string | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
}

export interface CrawlResult {
  readonly state: Job["state"];
  readonly objectCount: number | null;
}

export interface ConnectionOptions {
  /** Progress lines for the user (the dynamic-provider host passes stdout through to the CLI). */
  readonly log: (message: string) => void;
  readonly crawlTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** The fields Immuta stores; a difference in any of them is drift, and the adopt check compares them. */
const REMOTE_FIELDS = ["hostname", "port", "database", "workspaceUrl", "clientId"] as const;

/** What an update writes to Immuta; a change in any of them also means the principal is checked again. */
const STORED_FIELDS = [...REMOTE_FIELDS, "clientSecret"] as const;

/** Fields that name things Immuta and DNS match case-insensitively (a client id is a UUID). */
const CASE_INSENSITIVE_FIELDS: ReadonlySet<string> = new Set(["hostname", "workspaceUrl", "clientId"]);

export function sameValue(field: string, a: unknown, b: unknown): boolean {
  if (CASE_INSENSITIVE_FIELDS.has(field) && typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

/** The live connection, or undefined when Immuta no longer has it. */
export async function readConnection(client: ImmutaClient, key: string): Promise<LiveConnection | undefined> {
  const [view, object] = await Promise.all([
    ifFound(client.request({ operation: `Reading connection "${key}"`, method: "GET", path: paths.connection(key), response: connectionView, permission: PERMISSION })),
    ifFound(client.request({ operation: `Reading the object of connection "${key}"`, method: "GET", path: paths.object([key]), response: objectView, permission: PERMISSION })),
  ]);
  return view && live(view, object?.state ?? null);
}

export interface Registration {
  readonly connection: LiveConnection;
  readonly crawl: CrawlResult;
  readonly adopted: boolean;
}

/**
 * Registers the connection and waits for a crawl. A key that is already taken is adopted only when
 * it matches the declaration and either `adopt` is set or our own request may have registered it
 * (an attempt reached Immuta but its answer was lost, and the retry found the key taken).
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
      secrets: [decl.clientSecret],
    });
    bulkId = created.bulkId;
    opts.log(`Registered connection "${decl.connectionKey}"; Immuta is crawling its objects.`);
  } catch (error) {
    const taken = error instanceof ImmutaApiError && error.status === 409;
    const answerLost = error instanceof ImmutaUnreachableError && error.mayHaveTakenEffect;
    if (!taken && !answerLost) throw error;
    bulkId = await adoptExisting(client, decl, error.mayHaveTakenEffect, opts, error);
    adopted = true;
  }
  return afterRegistration(decl.connectionKey, async () => {
    const crawl = await crawlAfter(client, decl, bulkId, opts);
    const connection = await readConnection(client, decl.connectionKey);
    if (!connection) throw new Error(`connection "${decl.connectionKey}" disappeared right after it was registered`);
    return { connection, crawl, adopted };
  });
}

async function adoptExisting(client: ImmutaClient, decl: ConnectionDeclaration, ownAttempt: boolean, opts: ConnectionOptions, failure: Error): Promise<string | null | undefined> {
  const existing = await readConnection(client, decl.connectionKey);
  if (!existing) {
    if (failure instanceof ImmutaUnreachableError) throw failure;
    throw new ConnectionExistsError(`Immuta reports connection "${decl.connectionKey}" as existing but it cannot be read. Check the API key's permissions (${PERMISSION}).`);
  }
  if (!decl.adopt && !ownAttempt) {
    throw new ConnectionExistsError(
      `A connection with the key "${decl.connectionKey}" already exists in Immuta. To manage it with Pulumi, set adopt: true ` +
        "(it is adopted only if its hostname, port, database, workspaceUrl and clientId match); otherwise choose another displayName.",
    );
  }
  const mismatches = REMOTE_FIELDS.filter((field) => !sameValue(field, existing[field], decl[field]));
  if (mismatches.length > 0) {
    const details = mismatches.map((field) => `${field}: Immuta has ${JSON.stringify(existing[field])}, declared ${JSON.stringify(decl[field])}`).join("; ");
    throw new ConnectionExistsError(
      `A connection with the key "${decl.connectionKey}" already exists in Immuta but does not match the declaration (${details}). ` +
        "Declare the values Immuta has to adopt it, or choose another displayName.",
    );
  }
  opts.log(`Adopting the existing connection "${decl.connectionKey}" and applying the declared client secret.`);
  return (await putConnection(client, decl)).bulkId;
}

/**
 * Updates the connection in place. `previous` is what the provider last recorded (refreshed from
 * Immuta when a refresh ran), so that only a real difference is written and checked again. A
 * connection whose last crawl did not complete (say, a create that timed out waiting) is crawled
 * again, so that running `up` again finishes what the failed step left.
 */
export async function updateConnection(
  client: ImmutaClient,
  decl: ConnectionDeclaration,
  previous: LakebaseConnectionSpec & { readonly crawlCompleted: boolean },
  opts: ConnectionOptions,
): Promise<{ connection: LiveConnection; crawl: CrawlResult | undefined }> {
  let crawl: CrawlResult | undefined;
  if (STORED_FIELDS.some((field) => !sameValue(field, previous[field], decl[field]))) {
    if (decl.preflight) await assertPrivileges(decl, decl, opts.requestTimeoutMs);
    const written = await putConnection(client, decl);
    if (written.bulkId || !previous.crawlCompleted) crawl = await crawlAfter(client, decl, written.bulkId, opts);
  } else if (!previous.crawlCompleted) {
    crawl = await crawlAfter(client, decl, undefined, opts);
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
    secrets: [decl.clientSecret],
  });
}

/** Deregisters the connection (and with it every object and data source under it). Already gone is success. */
export async function deregisterConnection(client: ImmutaClient, key: string, opts: Pick<ConnectionOptions, "log">): Promise<void> {
  const deleted = await ifFound(
    client.request({ operation: `Deregistering connection "${key}"`, method: "DELETE", path: paths.object([key]), response: deleteObjectResponse, permission: PERMISSION }),
  );
  opts.log(deleted ? `Deregistered connection "${key}" and ${deleted.childCount} object(s) under it.` : `Connection "${key}" was already gone.`);
}

/** Waits for the crawl a write started, or starts one when the write did not. */
async function crawlAfter(client: ImmutaClient, decl: ConnectionDeclaration, bulkId: string | null | undefined, opts: ConnectionOptions): Promise<CrawlResult> {
  const key = decl.connectionKey;
  const started =
    bulkId ??
    (await client.request({ operation: `Starting a crawl of connection "${key}"`, method: "POST", path: paths.crawl([key]), response: crawlResponse, permission: PERMISSION })).bulkId;
  return waitForCrawl(client, decl, started, opts);
}

/** Polls the crawl's jobs until they end, with growing pauses, until opts.crawlTimeoutMs. */
async function waitForCrawl(client: ImmutaClient, decl: ConnectionDeclaration, bulkId: string, opts: ConnectionOptions): Promise<CrawlResult> {
  const key = decl.connectionKey;
  const deadline = Date.now() + opts.crawlTimeoutMs;
  let pause = 250;
  let reported = "";
  for (;;) {
    const jobs = await client.request({ operation: `Checking the crawl of connection "${key}"`, method: "GET", path: paths.jobs(), query: { bulkId }, response: jobsResponse, permission: PERMISSION });
    const failed = jobs.find((job) => job.state === "failed" || job.state === "cancelled" || job.state === "expired");
    if (failed) {
      const output = crawlJobOutput.safeParse(failed.output);
      const why = output.success && output.data.error ? `: ${redact(output.data.error, [decl.clientSecret])}` : "";
      throw new CrawlError(`The crawl of connection "${key}" ${failed.state}${why}. Fix the cause and run pulumi up again: the connection is kept and crawled again.`);
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
      throw new CrawlError(
        `The crawl of connection "${key}" did not finish within ${Math.round(opts.crawlTimeoutMs / 1000)} s (jobs: ${progress}). ` +
          "The connection is registered and kept; raise immuta:crawlTimeoutMs, then run pulumi up again to wait for a new crawl.",
      );
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
