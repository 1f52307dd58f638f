import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { EmulatorContext } from "../context";
import { credentialOf } from "../http/authentication";
import { HttpError, parseOrReject } from "../http/httpError";
import { enforceRateLimit } from "../http/rateLimiter";
import { findKeyOwner, issueBearerToken } from "../state/bearerTokens";

const authenticateBody = z.object({ apikey: z.string().min(1) });

export function apiKeyRoutes(context: EmulatorContext): FastifyPluginAsync {
  const { state, tokenTtlSeconds } = context;
  return async (app) => {
    // Documented both ways: `{"apikey": "<key>"}` as the body, or the key in the Authorization header and no body.
    app.post("/bim/apikey/authenticate", async (request) => {
      const fromHeader = credentialOf(request);
      const body = typeof request.body === "object" && request.body !== null ? request.body : {};
      const apikey = !("apikey" in body) && fromHeader?.kind === "apiKey" ? fromHeader.value : parseOrReject(authenticateBody, body).apikey;
      const owner = await findKeyOwner(state, apikey);
      if (owner === undefined) throw new HttpError(401, "Invalid API key");
      enforceRateLimit(context.rateLimiter, request, owner);
      return { authenticated: true, token: await issueBearerToken(state, owner, tokenTtlSeconds) };
    });
  };
}
