import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { EmulatorContext } from "../context";
import { requirePermission } from "../http/authentication";
import { HttpError, parseOrReject } from "../http/httpError";
import { PrincipalRefusal } from "../immuta/principalRefusal";
import { verifyPrincipal } from "../immuta/principalSession";
import { connectionView, LAKEBASE_TECHNOLOGY } from "../immuta/wireViews";
import type { Caller } from "../state/bearerTokens";
import { findConnection, insertConnection, updateConnection, type Actor, type ConnectionSettings } from "../state/connections";
import { inTransaction } from "../state/database";
import { insertObjects } from "../state/objects";

const RESERVED_KEYS = ["data", "connection", "object", "crawl", "search", "settings", "metadata", "permission", "sync", "bulk", "upgrade"];

const connectionKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_-]+$/)
  .refine((key) => !RESERVED_KEYS.includes(key.toLowerCase()), { error: "contains an invalid value" });

const AUTHENTICATION_TYPE = "oAuthM2M";

/** The `connection` object of a registration, or of an update (where the secret may be left out to keep it). */
function connectionSchema(purpose: "register" | "update") {
  const secret = z.string().min(1);
  return z.strictObject({
    technology: z.literal(LAKEBASE_TECHNOLOGY),
    hostname: z.string().min(1),
    port: z.int().min(1).max(65535),
    database: z.string().min(1),
    authenticationType: z.literal(AUTHENTICATION_TYPE),
    workspaceUrl: z.url({ protocol: /^https?$/ }),
    oAuthClientConfig: z.strictObject({
      // Unity Catalog's documented OAuth M2M body carries it; a certificate is not a Lakebase option.
      useCertificate: z.literal(false).optional(),
      clientId: z.string().min(1),
      clientSecret: purpose === "register" ? secret : secret.optional(),
      scope: z.literal("all-apis").default("all-apis"),
    }),
  });
}

const registrationBody = z.strictObject({
  connectionKey: connectionKeySchema,
  connection: connectionSchema("register"),
  settings: z.strictObject({ isActive: z.boolean().optional() }).optional(),
});

const updateBody = z.strictObject({
  connectionKey: z.string().optional(),
  connection: connectionSchema("update"),
});

/** A change to any of these means Immuta must log in again and re-crawl. */
const CREDENTIAL_FIELDS = ["hostname", "port", "database", "workspaceUrl", "clientId", "clientSecret"] as const;

export function connectionRoutes({ state, crawler, connectionApi }: EmulatorContext): FastifyPluginAsync {
  return async (app) => {
    app.post("/data/connection", async (request) => {
      const caller = requirePermission(request, "APPLICATION_ADMIN");
      const { connectionKey, connection, settings } = parseOrReject(registrationBody, request.body);
      if ((await findConnection(state, connectionKey)) !== undefined) throw duplicate(connectionKey);
      const target = settingsOf(connection, undefined);
      await verifyOrReject(target);
      const isActive = settings?.isActive ?? true;
      const created = await inTransaction(state, async (client) => {
        const record = await insertConnection(client, {
          ...target,
          connectionKey,
          technology: LAKEBASE_TECHNOLOGY,
          authenticationType: AUTHENTICATION_TYPE,
          isActive,
          creator: actorOf(caller),
        });
        if (record !== undefined) await insertObjects(client, connectionKey, [[connectionKey]], isActive ? "active" : "inactive");
        return record;
      });
      if (created === undefined) throw duplicate(connectionKey);
      return { ...connectionView(created), bulkId: await crawler.start(connectionKey) };
    });

    app.get<{ Params: { key: string } }>("/data/connection/:key", async (request) => {
      requirePermission(request, "APPLICATION_ADMIN");
      refuseLakebaseWhenDocumented(request.params.key);
      return connectionView(await requireConnection(request.params.key));
    });

    app.put<{ Params: { key: string } }>("/data/connection/:key", async (request) => {
      const caller = requirePermission(request, "APPLICATION_ADMIN");
      const { key } = request.params;
      refuseLakebaseWhenDocumented(key);
      const body = parseOrReject(updateBody, request.body);
      if (body.connectionKey !== undefined && body.connectionKey !== key) {
        throw new HttpError(400, `"connectionKey" must be [${key}]`);
      }
      const existing = await requireConnection(key);
      const next = settingsOf(body.connection, existing.clientSecret);
      const credentialsChanged = CREDENTIAL_FIELDS.some((field) => next[field] !== existing[field]);
      if (credentialsChanged) await verifyOrReject(next);
      const updated = await updateConnection(state, key, next, actorOf(caller));
      if (updated === undefined) throw notFound(key);
      return credentialsChanged ? { ...connectionView(updated), bulkId: await crawler.start(key) } : connectionView(updated);
    });
  };

  /**
   * Immuta documents GET and PUT /data/connection/{key} for Snowflake, Unity Catalog and Lake Formation
   * only. It publishes no answer for other technologies; 404 is the one a client can least tell from
   * "gone", so that is what the documented mode gives.
   */
  function refuseLakebaseWhenDocumented(key: string): void {
    if (connectionApi === "documented") throw notFound(key);
  }

  async function requireConnection(key: string) {
    const connection = await findConnection(state, key);
    if (connection === undefined) throw notFound(key);
    return connection;
  }
}

function settingsOf(
  connection: z.output<ReturnType<typeof connectionSchema>>,
  storedSecret: string | undefined,
): ConnectionSettings {
  const { clientId, clientSecret, scope } = connection.oAuthClientConfig;
  const secret = clientSecret ?? storedSecret;
  if (secret === undefined) throw new HttpError(400, `"connection.oAuthClientConfig.clientSecret" is required`);
  return {
    hostname: connection.hostname,
    port: connection.port,
    database: connection.database,
    workspaceUrl: connection.workspaceUrl,
    clientId,
    clientSecret: secret,
    scope,
  };
}

/**
 * What Immuta does before it stores a connection: log in as the principal and check its
 * privileges. A refusal is the caller's to fix (400); an upstream that kept failing is not (502).
 */
async function verifyOrReject(target: ConnectionSettings): Promise<void> {
  try {
    await verifyPrincipal(target);
  } catch (error) {
    if (!(error instanceof PrincipalRefusal)) throw error;
    if (error.transient) throw new HttpError(502, `Unable to register connection: ${error.message}`);
    throw new HttpError(400, `Unable to register connection: ${error.message}`);
  }
}

function actorOf(caller: Caller): Actor {
  return { id: caller.id, name: caller.name, email: caller.email };
}

function duplicate(connectionKey: string): HttpError {
  return new HttpError(409, `A connection with connectionKey '${connectionKey}' already exists`);
}

function notFound(connectionKey: string): HttpError {
  return new HttpError(404, `No connection with connectionKey '${connectionKey}' exists`);
}
