import type { FastifyPluginAsync } from "fastify";
import type { EmulatorContext } from "../context";
import { issueDatabricksToken } from "../databricks/tokenIssuer";

/** Databricks' workspace token endpoint (OAuth 2.0 client credentials); errors are OAuth-style. */
export function oidcRoutes({ state, seeds, databricksTokenTtlSeconds }: EmulatorContext): FastifyPluginAsync {
  return async (app) => {
    app.post("/oidc/v1/token", async (request, reply) => {
      const form = formFields(request.body);
      if (form.grant_type !== "client_credentials") {
        return reply.code(400).send({
          error: "unsupported_grant_type",
          error_description: `grant_type must be client_credentials (got ${form.grant_type === undefined ? "none" : `'${form.grant_type}'`})`,
        });
      }
      if (form.scope !== undefined && form.scope !== "all-apis") {
        return reply.code(400).send({ error: "invalid_scope", error_description: `scope must be all-apis (got '${form.scope}')` });
      }
      const credentials = basicCredentials(request.headers.authorization) ?? { clientId: form.client_id, clientSecret: form.client_secret };
      const principal = Object.values(seeds.servicePrincipals).find(
        (candidate) => candidate.clientId === credentials.clientId && candidate.clientSecret === credentials.clientSecret,
      );
      if (principal === undefined) return reply.code(401).send({ error: "invalid_client", error_description: "Client authentication failed" });
      const issued = await issueDatabricksToken(state, principal.clientId, databricksTokenTtlSeconds);
      return { access_token: issued.accessToken, token_type: "Bearer", expires_in: issued.expiresIn, scope: "all-apis" };
    });
  };
}

function formFields(body: unknown): Record<string, string | undefined> {
  if (typeof body !== "object" || body === null) return {};
  return Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

function basicCredentials(authorization: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return undefined;
  return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
}
