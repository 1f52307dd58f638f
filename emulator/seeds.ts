import crypto from "node:crypto";
import fs from "node:fs";
import { z } from "zod";
import { profileFieldsSchema } from "./immuta/profile";
import type { Seeds } from "./types";
import { describeIssues } from "./validation";

const nonEmpty = z.string().min(1);

const userRefSchema = z.strictObject({ iamid: nonEmpty, userid: nonEmpty });

const seedsObjectSchema = z.strictObject({
  iams: z.array(
    z.strictObject({
      id: nonEmpty,
      displayName: nonEmpty,
      type: nonEmpty,
      // Profile fields (dotted paths) the IAM's profile schema maps from the identity provider: not editable in Immuta.
      mappedProfileFields: z.array(nonEmpty).default([]),
    }),
  ),
  users: z.array(
    userRefSchema.extend({
      permissions: z.array(nonEmpty).default([]),
      profile: profileFieldsSchema,
    }),
  ),
  apiKeys: z.strictObject({
    admin: userRefSchema.extend({ key: nonEmpty }),
    noPermission: userRefSchema.extend({ key: nonEmpty }),
  }),
  servicePrincipals: z.strictObject({
    good: z.strictObject({ clientId: nonEmpty, clientSecret: nonEmpty }),
    lacksCreateRole: z.strictObject({ clientId: nonEmpty, clientSecret: nonEmpty }),
    lacksSuperuser: z.strictObject({ clientId: nonEmpty, clientSecret: nonEmpty }),
  }),
  lakebase: z.strictObject({
    // PostgreSQL roles (NOLOGIN) standing for Immuta users.
    userRoles: z.array(nonEmpty),
    // schema -> tables, created in databricks_postgres when that database is first created.
    schemas: z.record(nonEmpty, z.array(nonEmpty)),
  }),
});

const seedsSchema = seedsObjectSchema.superRefine((seeds, ctx) => {
  const iamIds = new Set(seeds.iams.map((iam) => iam.id));
  if (!iamIds.has("bim")) ctx.addIssue({ code: "custom", path: ["iams"], message: "the built-in IAM 'bim' is required" });
  const users = new Set(seeds.users.map((user) => `${user.iamid}/${user.userid}`));
  seeds.users.forEach((user, index) => {
    if (!iamIds.has(user.iamid)) ctx.addIssue({ code: "custom", path: ["users", index, "iamid"], message: `unknown IAM '${user.iamid}'` });
  });
  for (const [name, key] of Object.entries(seeds.apiKeys)) {
    if (!users.has(`${key.iamid}/${key.userid}`)) {
      ctx.addIssue({ code: "custom", path: ["apiKeys", name], message: `no seeded user ${key.iamid}/${key.userid}` });
    }
  }
  const principalIds = Object.values(seeds.servicePrincipals).map((principal) => principal.clientId);
  if (new Set(principalIds).size !== principalIds.length) {
    ctx.addIssue({ code: "custom", path: ["servicePrincipals"], message: "client ids must differ" });
  }
  // Each of these becomes a PostgreSQL role whose attributes the emulator sets: never one PostgreSQL or Lakebase owns.
  const roles: Array<[PropertyKey[], string]> = [
    ...Object.entries(seeds.servicePrincipals).map(([name, principal]): [PropertyKey[], string] => [["servicePrincipals", name, "clientId"], principal.clientId]),
    ...seeds.lakebase.userRoles.map((role, index): [PropertyKey[], string] => [["lakebase", "userRoles", index], role]),
  ];
  for (const [path, role] of roles) {
    if (isReservedRole(role)) ctx.addIssue({ code: "custom", path, message: `'${role}' is a reserved PostgreSQL role` });
  }
  seeds.lakebase.userRoles.forEach((role, index) => {
    if (principalIds.includes(role)) ctx.addIssue({ code: "custom", path: ["lakebase", "userRoles", index], message: `'${role}' is a service principal's role` });
  });
});

const RESERVED_ROLES = ["postgres", "public", "none", "current_user", "current_role", "session_user", "user", "databricks_superuser"];

function isReservedRole(role: string): boolean {
  const name = role.toLowerCase();
  return RESERVED_ROLES.includes(name) || name.startsWith("pg_") || name.startsWith("databricks_");
}

export type { Seeds } from "./types";

/** The parsed seeds: equal to the written-out Seeds (tests/unit/packageTypes.test.ts), which the code uses. */
export type ParsedSeeds = z.output<typeof seedsObjectSchema>;

/** The default seeds. API keys, client ids and client secrets are random on every call. */
export function defaultSeeds(): Seeds {
  return {
    iams: [
      { id: "bim", displayName: "Immuta", type: "bim", mappedProfileFields: [] },
      { id: "okta", displayName: "Okta", type: "oidc", mappedProfileFields: ["externalUserIds.postgresqlUser"] },
    ],
    users: [
      user("bim", "admin@example.com", ["APPLICATION_ADMIN", "USER_ADMIN"], {
        name: "Ada Admin",
        email: "admin@example.com",
        externalUserIds: { postgresqlUser: null },
      }),
      user("bim", "viewer@example.com", [], {
        name: "Victor Viewer",
        email: "viewer@example.com",
        externalUserIds: { postgresqlUser: null },
      }),
      user("bim", "alice@example.com", [], {
        name: "Alice Analyst",
        email: "alice@example.com",
        phone: "+1 617 555 0101",
        about: "Sales analytics",
        location: "Boston, MA",
        organization: "Example Corp",
        position: "Analyst",
        externalUserIds: { databricksUser: "alice@example.com", snowflakeUser: "ALICE" },
        preferences: { theme: "dark", dataSourceView: "table" },
      }),
      user("bim", "bob@example.com", [], {
        name: "Bob Builder",
        email: "bob@example.com",
        location: "Denver, CO",
        externalUserIds: { postgresqlUser: "bob", redshiftUser: "bob_rs" },
        preferences: { theme: "light" },
      }),
      user("bim", "carol@example.com", [], {
        name: "Carol Curator",
        email: "carol@example.com",
        organization: "Example Corp",
        externalUserIds: { postgresqlUser: null, databricksUser: "carol@example.com" },
      }),
      user("bim", "dave@example.com", [], {
        name: "Dave Developer",
        email: "dave@example.com",
        about: "Has no PostgreSQL role: a crawl switches him to none",
        externalUserIds: { snowflakeUser: "DAVE" },
      }),
      user("bim", "erin@example.com", [], {
        name: "Erin Engineer",
        email: "erin@example.com",
        externalUserIds: { postgresqlUser: "erin_pg" },
      }),
      user("bim", "Frank@Example.com", [], {
        name: "Frank Finance",
        email: "frank@example.com",
        position: "Controller",
        preferences: { notifications: { email: true } },
      }),
      user("okta", "oscar@corp.example.com", [], {
        name: "Oscar Okta",
        email: "oscar@corp.example.com",
        externalUserIds: { postgresqlUser: "oscar" },
      }),
    ],
    apiKeys: {
      admin: { iamid: "bim", userid: "admin@example.com", key: randomHex("imk_", 24) },
      noPermission: { iamid: "bim", userid: "viewer@example.com", key: randomHex("imk_", 24) },
    },
    servicePrincipals: {
      good: principal(),
      lacksCreateRole: principal(),
      lacksSuperuser: principal(),
    },
    lakebase: {
      userRoles: ["alice@example.com", "bob", "frank@example.com", "oscar"],
      schemas: {
        sales: ["customers", "orders", "invoices"],
        marketing: ["campaigns", "leads"],
      },
    },
  };
}

/** The default seeds with the top-level parts given in `file` (JSON, same shape as Seeds) put in their place. */
export function loadSeeds(file: string | undefined): Seeds {
  const defaults = defaultSeeds();
  if (file === undefined) return defaults;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`Cannot read the seed file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const overrides = seedsObjectSchema.partial().safeParse(json);
  if (!overrides.success) throw new Error(`The seed file ${file} is invalid: ${describeIssues(overrides.error)}`);
  return checkSeeds({ ...defaults, ...overrides.data }, `The seed file ${file} is inconsistent`);
}

/** Validates seeds stored by an earlier run or assembled from a seed file. */
export function checkSeeds(seeds: unknown, context: string): Seeds {
  const result = seedsSchema.safeParse(seeds);
  if (!result.success) throw new Error(`${context}: ${describeIssues(result.error)}`);
  return result.data;
}

function user(iamid: string, userid: string, permissions: string[], profile: z.input<typeof profileFieldsSchema>): Seeds["users"][number] {
  return { iamid, userid, permissions, profile: profileFieldsSchema.parse(profile) };
}

function principal(): { clientId: string; clientSecret: string } {
  return { clientId: crypto.randomUUID(), clientSecret: randomHex("dose", 32) };
}

function randomHex(prefix: string, bytes: number): string {
  return prefix + crypto.randomBytes(bytes).toString("hex");
}
