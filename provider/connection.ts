/**
 * Registering, reading, updating and deregistering a Lakebase connection in Immuta, on an Immuta
 * that shows a Lakebase connection's settings (GET/PUT /data/connection/{key}) and on one that, as
 * documented, does not (then /data/object/{key} tells whether it exists and its state).
 */
import { z } from "zod";
import { crawlAfter, type CrawlResult } from "./crawl";
import { ConnectionExistsError, ConnectionGoneError, ConnectionSettingsNotServedError, ImmutaApiError, ImmutaUnreachableError, NotAnImmutaApiError } from "./errors";
import { ifFound, type ImmutaClient } from "./immuta/client";
import {
  bulkIdOf,
  connectionView,
  deleteObjectResponse,
  lookUpConnection,
  mayMeanSettingsNotServed,
  objectView,
  paths,
  registrationBody,
  updateBody,
  type ConnectionView,
  type LakebaseConnectionSpec,
  type ObjectView,
} from "./immuta/wire";
import { assertPrivileges } from "./lakebase/preflight";

export type { CrawlResult } from "./crawl";

const PERMISSION = "APPLICATION_ADMIN";

/** What the user declared, validated and normalised. */
export interface ConnectionDeclaration extends LakebaseConnectionSpec {
  readonly preflight: boolean;
  readonly adopt: boolean;
}

/** The settings Immuta stores and, where it shows them, returns (never the secret). */
export interface ConnectionSettings {
  readonly hostname: string;
  readonly port: number;
  readonly database: string;
  readonly workspaceUrl: string;
  readonly clientId: string;
}

/** The connection as Immuta has it now. */
export interface LiveConnection {
  readonly connectionKey: string;
  readonly technology: string | null;
  /** active / inactive; null when Immuta has no object for the connection (yet). */
  readonly state: string | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  /** Null on an Immuta that does not show a Lakebase connection's settings (see wire.ts lookUpConnection). */
  readonly settings: ConnectionSettings | null;
}

export interface ConnectionOptions {
  /** Progress lines for the user (the dynamic-provider host passes stdout through to the CLI). */
  readonly log: (message: string) => void;
  /** Warnings; `topic` lets the caller say each kind once per deployment. */
  readonly warn: (topic: string, message: string) => void;
  readonly crawlTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** The fields Immuta stores; a difference in any of them is drift, and the adopt check compares them. */
export const REMOTE_FIELDS = ["hostname", "port", "database", "workspaceUrl", "clientId"] as const;

/** What an update writes to Immuta; a change in any of them also means the principal is checked again. */
const STORED_FIELDS = [...REMOTE_FIELDS, "clientSecret"] as const;

/** Fields that name things Immuta and DNS match case-insensitively (a client id is a UUID). */
const CASE_INSENSITIVE_FIELDS: ReadonlySet<string> = new Set(["hostname", "workspaceUrl", "clientId"]);

export function sameValue(field: string, a: unknown, b: unknown): boolean {
  if (CASE_INSENSITIVE_FIELDS.has(field) && typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

const SETTINGS_NOT_SERVED =
  "This Immuta does not show a Lakebase connection's settings: GET /data/connection/{key} is documented for Snowflake, " +
  "Databricks Unity Catalog and AWS Lake Formation connections only";

/** The live connection, or undefined when Immuta no longer has it. */
export async function readConnection(client: ImmutaClient, key: string, opts: Pick<ConnectionOptions, "warn">): Promise<LiveConnection | undefined> {
  const [settings, object] = await Promise.all([
    readSettings(client, key),
    ifFound(client.request({ operation: `Reading the object of connection "${key}"`, method: "GET", path: paths.object([key]), response: objectView, permission: PERMISSION })),
  ]);
  const lookup = lookUpConnection(settings, object);
  switch (lookup.kind) {
    case "gone":
      return undefined;
    case "found":
      return live(lookup.view, lookup.object);
    case "settings-not-served":
      opts.warn(
        "settings-not-served",
        `${SETTINGS_NOT_SERVED} (it answered HTTP ${lookup.status} for "${key}", whose object exists). So refresh cannot see changes made in Immuta ` +
          "to a connection's hostname, port, database, workspaceUrl or clientId, and reports only whether it exists and its state.",
      );
      return { connectionKey: key, technology: lookup.object.technology ?? null, state: lookup.object.state ?? null, createdAt: null, updatedAt: null, settings: null };
  }
}

async function readSettings(client: ImmutaClient, key: string): Promise<{ view: ConnectionView } | { refusedWith: number }> {
  try {
    const view = await client.request({ operation: `Reading connection "${key}"`, method: "GET", path: paths.connection(key), response: connectionView, permission: PERMISSION });
    return { view };
  } catch (error) {
    if (error instanceof ImmutaApiError && mayMeanSettingsNotServed(error.status)) return { refusedWith: error.status };
    throw error;
  }
}

export interface Registration {
  readonly connection: LiveConnection;
  readonly crawl: CrawlResult;
  readonly adopted: boolean;
}

/**
 * Thrown by create when Immuta holds, or may hold, the connection although a step failed: the caller
 * records the resource (id = key) rather than orphan it. `confirmed` is false when the registration's
 * answer never came back and it could not be told whether it happened; the next update finds out.
 */
export class RegistrationIncomplete extends Error {
  constructor(
    readonly connectionKey: string,
    readonly confirmed: boolean,
    readonly failure: Error,
  ) {
    super(failure.message, { cause: failure });
    this.name = "RegistrationIncomplete";
  }
}

/**
 * Registers the connection and waits for a crawl. A key that is already taken is adopted only when
 * it matches the declaration and either `adopt` is set or our own request may have registered it
 * (an attempt reached Immuta but its answer was lost, and the retry found the key taken).
 */
export async function registerConnection(client: ImmutaClient, decl: ConnectionDeclaration, opts: ConnectionOptions): Promise<Registration> {
  if (decl.preflight) await assertPrivileges(decl, decl, opts.requestTimeoutMs);
  let bulkId: string | undefined;
  let adopted = false;
  try {
    const answer = await client.request({
      operation: `Registering connection "${decl.connectionKey}"`,
      method: "POST",
      path: paths.connections(),
      body: registrationBody(decl),
      // Any 2xx means Immuta took it: the body is read leniently and never fails the create.
      response: z.unknown(),
      permission: PERMISSION,
      secrets: [decl.clientSecret],
    });
    bulkId = bulkIdOf(answer);
    opts.log(`Registered connection "${decl.connectionKey}"; Immuta is crawling its objects.`);
    if (!connectionView.safeParse(answer).success) {
      opts.warn(
        "unexpected-registration-answer",
        `Immuta accepted the registration of connection "${decl.connectionKey}" but did not answer with the connection, as provider/immuta/wire.ts assumes; ` +
          `the connection is recorded and read back${bulkId === undefined ? ", and a crawl is started for it" : ""}. If this persists, please report it with the Immuta version.`,
      );
    }
  } catch (error) {
    const taken = error instanceof ImmutaApiError && error.status === 409;
    // A 2xx that is not Immuta's JSON came from something in between, which may have passed the request on.
    const ambiguous =
      ((error instanceof ImmutaUnreachableError || error instanceof ImmutaApiError) && error.mayHaveTakenEffect) ||
      (error instanceof NotAnImmutaApiError && error.status >= 200 && error.status < 300);
    if (!taken && !ambiguous) throw error;
    ({ bulkId } = await adoptExisting(client, decl, ambiguous, opts, error));
    adopted = true;
  }
  return finishRegistration(client, decl, bulkId, adopted, opts);
}

/**
 * After a create whose registration was not confirmed: adopts the connection if our own attempt made
 * it, registers it if it is not there.
 */
export async function confirmRegistration(client: ImmutaClient, decl: ConnectionDeclaration, opts: ConnectionOptions): Promise<Registration> {
  const existing = await readConnection(client, decl.connectionKey, opts);
  if (!existing) return registerConnection(client, decl, opts);
  const { bulkId } = await adopt(client, decl, existing, opts);
  return finishRegistration(client, decl, bulkId, true, opts);
}

async function finishRegistration(client: ImmutaClient, decl: ConnectionDeclaration, bulkId: string | undefined, adopted: boolean, opts: ConnectionOptions): Promise<Registration> {
  try {
    const crawl = await crawlAfter(client, decl.connectionKey, bulkId, { ...opts, secrets: [decl.clientSecret] });
    const connection = await readConnection(client, decl.connectionKey, opts);
    if (!connection) throw new Error(`connection "${decl.connectionKey}" disappeared right after it was registered`);
    return { connection, crawl, adopted };
  } catch (error) {
    throw new RegistrationIncomplete(decl.connectionKey, true, error instanceof Error ? error : new Error(String(error)));
  }
}

async function adoptExisting(client: ImmutaClient, decl: ConnectionDeclaration, ownAttempt: boolean, opts: ConnectionOptions, failure: Error): Promise<{ bulkId: string | undefined }> {
  let existing: LiveConnection | undefined;
  try {
    existing = await readConnection(client, decl.connectionKey, opts);
  } catch (readFailure) {
    if (ownAttempt) throw unconfirmed(decl.connectionKey, failure);
    throw readFailure;
  }
  if (!existing) {
    // A gateway may still pass the request on, or Immuta finish it later: not there yet is no proof.
    if (ownAttempt) throw unconfirmed(decl.connectionKey, failure);
    throw new ConnectionExistsError(`Immuta reports connection "${decl.connectionKey}" as existing but it cannot be read. Check the API key's permissions (${PERMISSION}).`);
  }
  if (!decl.adopt && !ownAttempt) {
    throw new ConnectionExistsError(
      `A connection with the key "${decl.connectionKey}" already exists in Immuta. To manage it with Pulumi, set adopt: true ` +
        "(it is adopted only if its hostname, port, database, workspaceUrl and clientId match); otherwise choose another displayName.",
    );
  }
  return adopt(client, decl, existing, opts);
}

function unconfirmed(key: string, failure: Error): RegistrationIncomplete {
  return new RegistrationIncomplete(
    key,
    false,
    new Error(
      `${failure.message} The registration of connection "${key}" may have happened although Immuta's answer was lost, so Pulumi records the ` +
        "connection as unconfirmed: the next pulumi up finds out (and takes over its own registration, or registers it), and pulumi refresh drops it if it never happened.",
      { cause: failure },
    ),
  );
}

/** Takes over a connection that matches the declaration, applying the declared secret where Immuta lets it. */
async function adopt(client: ImmutaClient, decl: ConnectionDeclaration, existing: LiveConnection, opts: ConnectionOptions): Promise<{ bulkId: string | undefined }> {
  if (existing.settings === null) {
    opts.warn(
      `adopt-unverified:${decl.connectionKey}`,
      `Adopting the existing connection "${decl.connectionKey}" by its key alone: ${SETTINGS_NOT_SERVED}, so its hostname, port, database, ` +
        "workspaceUrl and clientId could not be compared with the declaration, and the declared client secret could not be applied (Immuta keeps the one it has).",
    );
    return { bulkId: undefined };
  }
  const settings = existing.settings;
  const mismatches = REMOTE_FIELDS.filter((field) => !sameValue(field, settings[field], decl[field]));
  if (mismatches.length > 0) {
    const details = mismatches.map((field) => `${field}: Immuta has ${JSON.stringify(settings[field])}, declared ${JSON.stringify(decl[field])}`).join("; ");
    throw new ConnectionExistsError(
      `A connection with the key "${decl.connectionKey}" already exists in Immuta but does not match the declaration (${details}). ` +
        "Declare the values Immuta has to adopt it, or choose another displayName.",
    );
  }
  opts.log(`Adopting the existing connection "${decl.connectionKey}" and applying the declared client secret.`);
  return { bulkId: bulkIdOf(await putConnection(client, decl)) };
}

/**
 * Updates the connection in place. `previous` is what the provider last recorded (refreshed from
 * Immuta when a refresh ran), so that only a real difference is written and checked again. A
 * connection whose last crawl did not complete (say, a create that timed out waiting) is crawled
 * again, so that running `up` again finishes what the failed step left. Nothing is written when
 * the connection is gone or this Immuta does not take a Lakebase connection's settings.
 */
export async function updateConnection(
  client: ImmutaClient,
  decl: ConnectionDeclaration,
  previous: LakebaseConnectionSpec & { readonly crawlCompleted: boolean },
  opts: ConnectionOptions,
): Promise<{ connection: LiveConnection; crawl: CrawlResult | undefined }> {
  const key = decl.connectionKey;
  const crawlOptions = { ...opts, secrets: [decl.clientSecret] };
  const changed = STORED_FIELDS.filter((field) => !sameValue(field, previous[field], decl[field]));
  let crawl: CrawlResult | undefined;
  if (changed.length > 0) {
    const current = await readConnection(client, key, opts);
    if (!current) throw new ConnectionGoneError(key);
    if (current.settings === null) throw new ConnectionSettingsNotServedError(key, changed);
    if (decl.preflight) await assertPrivileges(decl, decl, opts.requestTimeoutMs);
    const bulkId = bulkIdOf(await putConnection(client, decl));
    if (bulkId || !previous.crawlCompleted) crawl = await crawlAfter(client, key, bulkId, crawlOptions);
  } else if (!previous.crawlCompleted) {
    crawl = await crawlAfter(client, key, undefined, crawlOptions);
  }
  const connection = await readConnection(client, key, opts);
  if (!connection) throw new ConnectionGoneError(key);
  return { connection, crawl };
}

function putConnection(client: ImmutaClient, decl: ConnectionDeclaration): Promise<unknown> {
  return client.request({
    operation: `Updating connection "${decl.connectionKey}"`,
    method: "PUT",
    path: paths.connection(decl.connectionKey),
    body: updateBody(decl),
    response: z.unknown(),
    permission: PERMISSION,
    secrets: [decl.clientSecret],
  });
}

/** Deregisters the connection (and with it every object and data source under it). Already gone is success. */
export async function deregisterConnection(client: ImmutaClient, key: string, opts: Pick<ConnectionOptions, "log">): Promise<void> {
  const deleted = await ifFound(
    client.request({ operation: `Deregistering connection "${key}"`, method: "DELETE", path: paths.object([key]), response: deleteObjectResponse, permission: PERMISSION }),
  );
  if (!deleted) opts.log(`Connection "${key}" was already gone.`);
  else opts.log(`Deregistered connection "${key}"${deleted.childCount === null ? "" : ` and ${deleted.childCount} object(s) under it`}.`);
}

function live(view: ConnectionView, object: ObjectView | undefined): LiveConnection {
  return {
    connectionKey: view.connectionKey,
    technology: view.connection.technology,
    state: object?.state ?? null,
    createdAt: view.createdAt ?? null,
    updatedAt: view.updatedAt ?? null,
    settings: {
      hostname: view.connection.hostname.toLowerCase(),
      port: view.connection.port,
      database: view.connection.database,
      workspaceUrl: view.connection.workspaceUrl.replace(/\/+$/, "").toLowerCase(),
      clientId: view.connection.oAuthClientConfig.clientId.toLowerCase(),
    },
  };
}
