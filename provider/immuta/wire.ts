/**
 * Every Immuta request and response shape, parsed with zod on the way in. Responses are parsed
 * leniently (`loose`): Immuta documents that it may add fields.
 *
 * Shapes marked ASSUMPTION are not published by Immuta (the README's "Immuta payload assumptions"
 * lists them, with how to check each on a tenant). They live here and nowhere else, so that this
 * one file changes when a tenant shows the real shape.
 */
import { z } from "zod";

const segment = (value: string) => encodeURIComponent(value);

/** Request paths. Documented: DESIGN.md "Immuta wire facts". */
export const paths = {
  authenticate: () => "/bim/apikey/authenticate",
  connections: () => "/data/connection",
  connection: (key: string) => `/data/connection/${segment(key)}`,
  object: (objectPath: readonly string[]) => `/data/object/${objectPath.map(segment).join("/")}`,
  crawl: (objectPath: readonly string[]) => `/data/crawl/${objectPath.map(segment).join("/")}`,
  jobs: () => "/jobs",
  users: () => "/bim/user",
  user: (iamId: string, userId: string) => `/bim/iam/${segment(iamId)}/user/${segment(userId)}`,
  profile: (iamId: string, userId: string) => `/bim/iam/${segment(iamId)}/user/${segment(userId)}/profile`,
};

/** Boom-style error body: `{statusCode, error, message}`. */
export const errorBody = z.object({ statusCode: z.number().optional(), error: z.string().optional(), message: z.string().optional() }).loose();

export const authenticateResponse = z.object({ token: z.string().min(1) }).loose();

// ---------------------------------------------------------------------------------------------
// Connections

/**
 * ASSUMPTION: the technology name and body of a Lakebase registration. Modelled on the documented
 * Databricks Unity Catalog OAuth M2M body (`authenticationType: "oAuthM2M"`, `oAuthClientConfig`
 * with `useCertificate: false`, `clientId`, `clientSecret`, `scope: "all-apis"`); the UC body's
 * `authorityUrl`, `settings`, `options` and `nativeIntegration` are left out, and `workspaceUrl` as a
 * field of `connection` is a guess of its own (the Lakebase UI asks for a "Workspace URL").
 */
const LAKEBASE_TECHNOLOGY = "DatabricksLakebase";
const OAUTH_SCOPE = "all-apis";

export interface LakebaseConnectionSpec {
  readonly connectionKey: string;
  readonly hostname: string;
  readonly port: number;
  readonly database: string;
  readonly workspaceUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

function connectionSettings(spec: LakebaseConnectionSpec) {
  return {
    technology: LAKEBASE_TECHNOLOGY,
    hostname: spec.hostname,
    port: spec.port,
    database: spec.database,
    authenticationType: "oAuthM2M",
    workspaceUrl: spec.workspaceUrl,
    oAuthClientConfig: { useCertificate: false, clientId: spec.clientId, clientSecret: spec.clientSecret, scope: OAUTH_SCOPE },
  };
}

/** `POST /data/connection` body. */
export function registrationBody(spec: LakebaseConnectionSpec) {
  return { connectionKey: spec.connectionKey, connection: connectionSettings(spec) };
}

/** `PUT /data/connection/{key}` body. The secret is always sent, so a rotated secret is applied. */
export function updateBody(spec: LakebaseConnectionSpec) {
  return { connection: connectionSettings(spec) };
}

/** `GET /data/connection/{key}`: documented fields; the Lakebase `connection` fields are the ASSUMPTION above. */
export const connectionView = z
  .object({
    connectionKey: z.string(),
    connection: z
      .object({
        technology: z.string(),
        hostname: z.string(),
        port: z.coerce.number().int(),
        database: z.string(),
        workspaceUrl: z.string(),
        oAuthClientConfig: z.object({ clientId: z.string() }).loose(),
      })
      .loose(),
    createdAt: z.string().nullish(),
    updatedAt: z.string().nullish(),
  })
  .loose();
export type ConnectionView = z.infer<typeof connectionView>;

/**
 * Documented: GET and PUT /data/connection/{key} are "only available to connections from the following
 * technologies: Snowflake, Databricks Unity Catalog, AWS Lake Formation". ASSUMPTION: for a Lakebase
 * connection such an Immuta answers one of these statuses, which then mean "not shown here" rather
 * than "gone"; GET /data/object/{key}, documented for every technology, says whether it exists.
 */
const SETTINGS_NOT_SERVED_STATUSES: ReadonlySet<number> = new Set([400, 404, 405]);

/** What GET /data/connection/{key} and GET /data/object/{key} together say about a connection. */
export type ConnectionLookup =
  | { readonly kind: "gone" }
  /** Immuta holds it, but does not show its settings (the documented limit above). */
  | { readonly kind: "settings-not-served"; readonly object: ObjectView; readonly status: number }
  | { readonly kind: "found"; readonly view: ConnectionView; readonly object: ObjectView | undefined };

/**
 * The one place that decides "gone" from "not shown here": `settings` holds the view, or the status
 * GET /data/connection/{key} refused with; `object` is GET /data/object/{key}'s answer (undefined: 404).
 */
export function lookUpConnection(settings: { readonly view: ConnectionView } | { readonly refusedWith: number }, object: ObjectView | undefined): ConnectionLookup {
  if ("view" in settings) return { kind: "found", view: settings.view, object };
  if (object === undefined || !SETTINGS_NOT_SERVED_STATUSES.has(settings.refusedWith)) return { kind: "gone" };
  return { kind: "settings-not-served", object, status: settings.refusedWith };
}

/** Statuses of GET /data/connection/{key} that lookUpConnection weighs instead of failing on. */
export function mayMeanSettingsNotServed(status: number): boolean {
  return SETTINGS_NOT_SERVED_STATUSES.has(status);
}

/**
 * ASSUMPTION: a registration or an update answers with the connection view, plus the crawl's
 * `bulkId` when one started. Only the bulk id is taken from it, and only if it is there: any 2xx
 * means Immuta took the request, whatever its body, and the connection is then read back.
 */
export function bulkIdOf(answer: unknown): string | undefined {
  const parsed = z.object({ bulkId: z.union([z.string().min(1), z.number()]) }).loose().safeParse(answer);
  return parsed.success ? String(parsed.data.bulkId) : undefined;
}

/** `GET /data/object/{path}` (documented fields; `childCount` as in the documented DELETE answer). */
export const objectView = z
  .object({
    objectPath: z.array(z.string()),
    technology: z.string().nullish(),
    state: z.string().nullish(),
    childCount: z.number().int().nullish(),
  })
  .loose();
export type ObjectView = z.infer<typeof objectView>;

/**
 * `DELETE /data/object/{path}`: documented as `{objectPath, childCount}` in the example and as
 * `{connectionKey, childCount}` in the schema table of the same page; either is taken, and the count
 * is only reported.
 */
export const deleteObjectResponse = z.unknown().transform((answer) => {
  const parsed = z.object({ childCount: z.number().int() }).loose().safeParse(answer);
  return { childCount: parsed.success ? parsed.data.childCount : null };
});

/** `POST /data/crawl/{path}`: ASSUMPTION that it answers the bulk id of the crawl job. */
export const crawlResponse = z.object({ bulkId: z.union([z.string().min(1), z.number()]).transform(String) }).loose();

/** Documented job states: active, cancelled, completed, created, expired, failed, retry. */
const jobStates = ["created", "active", "retry", "completed", "failed", "cancelled", "expired"] as const;
const job = z
  .object({
    id: z.union([z.string(), z.number()]),
    state: z.enum(jobStates),
    // Documented as "string: the output of the job, if it exists"; an object is taken as it is.
    output: z.unknown().optional(),
  })
  .loose();
export type Job = z.infer<typeof job>;

/**
 * `GET /jobs?bulkId=`: the documentation shows no answer. ASSUMPTION: a list of jobs, either bare or
 * wrapped in an envelope (`{hits}`, `{jobs}`, `{data}` or `{results}`, as Immuta's paged lists are).
 */
export const jobsResponse = z.union([
  z.array(job),
  z.object({ hits: z.array(job) }).loose().transform((envelope) => envelope.hits),
  z.object({ jobs: z.array(job) }).loose().transform((envelope) => envelope.jobs),
  z.object({ data: z.array(job) }).loose().transform((envelope) => envelope.data),
  z.object({ results: z.array(job) }).loose().transform((envelope) => envelope.results),
]);

/**
 * What a crawl job's output tells: ASSUMPTION that it may carry `objectCount` and, when it failed,
 * `error`. Documented as a string, so a JSON string is read as JSON and any other text as the error.
 */
export function crawlJobOutput(output: unknown): { objectCount?: number; error?: string } {
  const value = typeof output === "string" ? parseJsonOr(output) : output;
  if (typeof value === "string") return value.trim() === "" ? {} : { error: value };
  const parsed = z.object({ objectCount: z.number().int().optional(), error: z.string().optional() }).loose().safeParse(value);
  return parsed.success ? { objectCount: parsed.data.objectCount, error: parsed.data.error } : {};
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

// ---------------------------------------------------------------------------------------------
// Users and the PostgreSQL row of their External User Mapping

const plainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A profile is kept exactly as Immuta sent it (z.record keeps every key, in order), because the
 * profile PUT replaces the whole profile: whatever is sent back must be what was read.
 */
export const profile = z
  .record(z.string(), z.unknown())
  .refine((p) => p.externalUserIds === undefined || p.externalUserIds === null || plainObject(p.externalUserIds), {
    message: "profile.externalUserIds is not an object",
  });
export type Profile = z.infer<typeof profile>;

/** `GET /bim/iam/{iamid}/user/{userid}` (documented: the mapping is under `profile.externalUserIds`). */
export const userView = z.object({ iamid: z.string(), userid: z.string(), profile }).loose();
export type UserView = z.infer<typeof userView>;

/**
 * `GET /bim/user`, documented as paged (`size`, `offset`) with partial, case-insensitive `userid`
 * and `email` filters, answering `{hits, count}` with each hit a user view. The `iamid` filter
 * and `includeDisabled` (default false, which would hide a disabled user whose mapping is still
 * ours) are in the 2023 swagger export only, so an Immuta that ignores them is allowed for: hits
 * are matched on the client, by IAM and exactly.
 */
export const userPage = z.object({ hits: z.array(userView), count: z.number().int().min(0) }).loose();
export type UserPage = z.infer<typeof userPage>;

/**
 * ASSUMPTION: Immuta serves pages of this many users (it documents a default of 25 and no
 * maximum). One that serves fewer is paged on by the number it served, so only the request count
 * depends on this.
 */
export const USER_PAGE_SIZE = 500;

/** A partial, case-insensitive filter of `GET /bim/user`: candidates, which the client then matches exactly. */
export type UserFilter = { readonly userid: string } | { readonly email: string } | Record<string, never>;

/** The query of one page of the users of an IAM. */
export function userPageQuery(iamId: string, filter: UserFilter, offset: number): Record<string, string> {
  const narrowed: Record<string, string> = { ...filter };
  return { size: String(USER_PAGE_SIZE), offset: String(offset), iamid: iamId, includeDisabled: "true", ...narrowed };
}

/** ASSUMPTION: the key of the PostgreSQL (Lakebase) username in `externalUserIds`. */
export const POSTGRES_USERNAME_KEY = "postgresqlUser";

export type PostgresMapping = { readonly mode: "unset" } | { readonly mode: "none" } | { readonly mode: "username"; readonly username: string };

/** ASSUMPTION: unset = key absent, none = `null`, username = the string. */
export function decodePostgresMapping(p: Profile): PostgresMapping {
  const ids = plainObject(p.externalUserIds) ? p.externalUserIds : {};
  if (!(POSTGRES_USERNAME_KEY in ids)) return { mode: "unset" };
  const value = ids[POSTGRES_USERNAME_KEY];
  if (value === null) return { mode: "none" };
  if (typeof value === "string") return value === "" ? { mode: "unset" } : { mode: "username", username: value };
  throw new TypeError(`profile.externalUserIds.${POSTGRES_USERNAME_KEY} is neither a string nor null`);
}

/** The profile to PUT back: the one read, with only the PostgreSQL key changed. */
export function withPostgresMapping(p: Profile, mapping: PostgresMapping): Profile {
  const ids: Record<string, unknown> = { ...(plainObject(p.externalUserIds) ? p.externalUserIds : {}) };
  if (mapping.mode === "unset") delete ids[POSTGRES_USERNAME_KEY];
  else ids[POSTGRES_USERNAME_KEY] = mapping.mode === "none" ? null : mapping.username;
  return { ...p, externalUserIds: ids };
}

/**
 * ASSUMPTION: how Immuta refuses an edit of a field that the user's IAM maps in its profile schema
 * (documented as "not editable"; the status and wording are not).
 */
export function isIamManagedRefusal(status: number, message: string): boolean {
  return status === 400 && /not editable|profile schema/i.test(message);
}
