/**
 * Every Immuta request and response shape, parsed with zod on the way in. Responses are parsed
 * leniently (`loose`): Immuta documents that it may add fields.
 *
 * Shapes marked ASSUMPTION are not published by Immuta (see shared/reference/immuta-api.md §2.6,
 * §3.4, §7). They live here and nowhere else, so that this one file changes when a tenant shows
 * the real shape.
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
 * Databricks Unity Catalog OAuth M2M body (`authenticationType: "oAuthM2M"`, `oAuthClientConfig`).
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
    oAuthClientConfig: { clientId: spec.clientId, clientSecret: spec.clientSecret, scope: OAUTH_SCOPE },
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

/** ASSUMPTION: registration and update answer with the connection view, plus the crawl's `bulkId` when one started. */
export const connectionWriteResponse = connectionView.extend({ bulkId: z.string().nullish() });

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

/** `DELETE /data/object/{path}` → `{objectPath, childCount}` (documented). */
export const deleteObjectResponse = z.object({ objectPath: z.array(z.string()), childCount: z.number().int() }).loose();

/** `POST /data/crawl/{path}`: ASSUMPTION that it answers the bulk id of the crawl job. */
export const crawlResponse = z.object({ bulkId: z.string() }).loose();

/** `GET /jobs?bulkId=` (documented states). ASSUMPTION: the body is an array of jobs; output `{objectCount}` for a crawl. */
const jobStates = ["created", "active", "retry", "completed", "failed", "cancelled", "expired"] as const;
export const jobsResponse = z.array(
  z
    .object({
      id: z.union([z.string(), z.number()]),
      state: z.enum(jobStates),
      output: z.unknown().optional(),
    })
    .loose(),
);
export type Job = z.infer<typeof jobsResponse>[number];
export const crawlJobOutput = z.object({ objectCount: z.number().int().optional(), error: z.string().optional() }).loose();

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
