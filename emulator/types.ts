/**
 * The emulator's public types, written out rather than inferred from its zod schemas, so that a
 * program's type check never loads zod or fastify (zod's types need esModuleInterop, which the
 * tsconfig.json of `pulumi new typescript` leaves off). tests/unit/packageTypes.test.ts keeps each
 * equal to the schema it stands for.
 */

/**
 * How GET and PUT /data/connection/{key} answer for a Lakebase connection. `full`: they serve it, as
 * this package's richer drift detection would like. `documented`: as Immuta documents them, "only
 * available to connections from the following technologies: Snowflake, Databricks Unity Catalog,
 * AWS Lake Formation", so they answer 404 (/data/object still serves it).
 */
export type ConnectionApi = "full" | "documented";

/** What PUT /__emulator/faults accepts: every field optional, rates 0..1. */
export interface FaultConfig {
  latencyMs?: number;
  rate429?: number;
  retryAfterSeconds?: number;
  rate5xx?: number;
  statuses5xx?: number[];
  rateDrop?: number;
  /** The request is carried out, then its connection is cut before the answer: the client cannot tell whether it took effect. */
  rateLostAnswer?: number;
  /** The request is held `lateAnswerMs`, by when its client has given up, and is then carried out all the same. */
  rateLateAnswer?: number;
  lateAnswerMs?: number;
  /** Makes the random choices repeatable: the same seed and the same sequence of requests give the same faults. */
  seed?: number;
  methods?: string[];
  pathPrefix?: string;
}

/** What happened to a request on purpose, as the request log says. */
export type FaultKind = "429" | "5xx" | "drop" | "lostAnswer" | "lateAnswer" | "latency" | "rateLimit";

/** A token bucket per API key (PUT /__emulator/rate-limit). */
export interface RateLimit {
  /** Tokens added to each API key's bucket per second. */
  requestsPerSecond: number;
  /** The bucket's size: how many requests may arrive at once after a quiet spell. */
  burst: number;
}

export interface RateLimitStatus extends RateLimit {
  /** One entry per API key seen since the limit was set, named by the key's user (never the key). */
  buckets: Array<{ user: string; allowed: number; limited: number }>;
}

/** The editable fields of a seeded user's profile. */
export interface SeededProfile {
  name: string | null;
  email: string | null;
  phone: string | null;
  about: string | null;
  location: string | null;
  organization: string | null;
  position: string | null;
  /** Key absent = unset, null = none, string = that username (e.g. postgresqlUser, databricksUser). */
  externalUserIds: Record<string, string | null>;
  preferences: Record<string, unknown>;
}

interface UserRef {
  iamid: string;
  userid: string;
}

interface ServicePrincipalSeed {
  clientId: string;
  clientSecret: string;
}

/** What the emulator is seeded with; a seed file may replace any top-level part. */
export interface Seeds {
  iams: Array<{
    id: string;
    displayName: string;
    type: string;
    /** Profile fields (dotted paths) the IAM's profile schema maps from the identity provider: not editable in Immuta. */
    mappedProfileFields: string[];
  }>;
  users: Array<UserRef & { permissions: string[]; profile: SeededProfile }>;
  apiKeys: { admin: UserRef & { key: string }; noPermission: UserRef & { key: string } };
  servicePrincipals: { good: ServicePrincipalSeed; lacksCreateRole: ServicePrincipalSeed; lacksSuperuser: ServicePrincipalSeed };
  lakebase: {
    /** PostgreSQL roles (NOLOGIN) standing for Immuta users. */
    userRoles: string[];
    /** schema -> tables, created in databricks_postgres when that database is first created. */
    schemas: Record<string, string[]>;
  };
}
