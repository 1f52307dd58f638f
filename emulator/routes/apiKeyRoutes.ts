import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { EmulatorContext } from "../context";
import { HttpError, parseOrReject } from "../http/httpError";
import { exchangeApiKey } from "../state/bearerTokens";

const authenticateBody = z.object({ apikey: z.string().min(1) });

export function apiKeyRoutes({ state, tokenTtlSeconds }: EmulatorContext): FastifyPluginAsync {
  return async (app) => {
    app.post("/bim/apikey/authenticate", async (request) => {
      const { apikey } = parseOrReject(authenticateBody, request.body);
      const token = await exchangeApiKey(state, apikey, tokenTtlSeconds);
      if (token === undefined) throw new HttpError(401, "The API key is not valid: generate one on the API Keys tab of an Immuta profile");
      return { authenticated: true, token };
    });
  };
}
