import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { EmulatorContext } from "../context";
import { faultConfigSchema } from "../http/faults";
import { parseOrReject } from "../http/httpError";
import { rateLimitSchema } from "../http/rateLimiter";

export const ADMIN_PREFIX = "/__emulator";

const requestLogQuery = z.object({
  route: z.string().min(1).optional(),
  method: z.string().min(1).optional(),
  since: z.coerce.number().int().min(0).optional(),
});

/** Test controls: health, reset, fault injection, the rate limit and the request log. Never authenticated, faulted, limited or logged. */
export function adminRoutes(context: EmulatorContext): FastifyPluginAsync {
  const { faults, requestLog, rateLimiter } = context;
  return async (app) => {
    app.get("/health", async () => ({ ok: true }));

    app.post("/reset", async () => {
      await context.reset();
      return { ok: true };
    });

    app.get("/faults", async () => faults.current());
    app.put("/faults", async (request) => {
      faults.replace(parseOrReject(faultConfigSchema, request.body ?? {}));
      return faults.current();
    });
    app.delete("/faults", async () => {
      faults.clear();
      return faults.current();
    });

    app.get("/rate-limit", async () => rateLimiter.status());
    app.put("/rate-limit", async (request) => {
      rateLimiter.configure(parseOrReject(rateLimitSchema, request.body ?? {}));
      return rateLimiter.status();
    });
    app.delete("/rate-limit", async () => {
      rateLimiter.configure(undefined);
      return rateLimiter.status();
    });

    app.get("/requests", async (request) => ({ requests: requestLog.list(parseOrReject(requestLogQuery, request.query)) }));
    app.delete("/requests", async () => {
      requestLog.clear();
      return { requests: [] };
    });
  };
}
