import { setTimeout as delay } from "node:timers/promises";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { EmulatorContext } from "../context";
import { ADMIN_PREFIX, adminRoutes } from "../routes/adminRoutes";
import { apiKeyRoutes } from "../routes/apiKeyRoutes";
import { connectionRoutes } from "../routes/connectionRoutes";
import { jobRoutes } from "../routes/jobRoutes";
import { objectRoutes } from "../routes/objectRoutes";
import { oidcRoutes } from "../routes/oidcRoutes";
import { userRoutes } from "../routes/userRoutes";
import { immutaAuthentication } from "./authentication";
import type { FaultKind } from "./faults";
import { boomBody, HttpError, rejectNulCharacters } from "./httpError";

declare module "fastify" {
  interface FastifyRequest {
    fault: FaultKind | null;
  }
}

/**
 * Path parameters Immuta accepts: a connection key of up to 255 characters and e-mail user ids
 * (up to 254), percent-encoded. fastify's default (100) would answer 414 to both.
 */
const MAX_PARAM_LENGTH = 2048;

/** The emulator's HTTP server: Immuta's API, Databricks' token endpoint and the admin routes, on one port. */
export function buildServer(context: EmulatorContext, log: (line: string) => void): FastifyInstance {
  const app = Fastify({
    logger: false,
    // On stop, open connections are cut rather than waited for: a request held by an injected latency must not delay it.
    forceCloseConnections: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A URL refused before routing (bad percent-encoding: 400; a parameter over the limit: 414) still answers as Immuta and is logged.
    frameworkErrors: (error, request, reply) => {
      const status = typeof error.statusCode === "number" ? error.statusCode : 400;
      recordRequest(context, request, status);
      void (reply as FastifyReply).code(status).send(boomBody(status, status === 414 ? "URI Too Long" : "Invalid request path"));
    },
  });
  app.decorateRequest("caller", null);
  app.decorateRequest("fault", null);
  installBodyParsers(app);

  app.addHook("onRequest", async (request, reply) => injectFault(context, request, reply));
  app.addHook("onSend", async (request, reply, payload) => {
    if (request.fault === "lostAnswer") {
      recordRequest(context, request, reply.statusCode);
      request.raw.socket.destroy();
    }
    return payload;
  });
  app.addHook("onResponse", async (request, reply) => {
    if (!isAdminRequest(request) && request.fault !== "lostAnswer") recordRequest(context, request, reply.statusCode);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) return reply.code(error.statusCode).send(boomBody(error.statusCode, error.message));
    if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(boomBody(error.statusCode, error.message));
    }
    log(`${request.method} ${request.routeOptions.url ?? request.url} failed: ${error.stack ?? error.message}`);
    return reply.code(500).send(boomBody(500, "An internal server error occurred"));
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(boomBody(404)));
  app.addHook("preValidation", async (request) => {
    if (isAdminRequest(request)) return;
    rejectNulCharacters(request.params);
    rejectNulCharacters(request.query);
    rejectNulCharacters(request.body);
  });

  void app.register(adminRoutes(context), { prefix: ADMIN_PREFIX });
  void app.register(oidcRoutes(context));
  void app.register(apiKeyRoutes(context));
  void app.register(async (immuta) => {
    immuta.addHook("onRequest", immutaAuthentication(context.state));
    await immuta.register(userRoutes(context));
    await immuta.register(connectionRoutes(context));
    await immuta.register(objectRoutes(context));
    await immuta.register(jobRoutes(context));
  });
  return app;
}

function installBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  // Some clients send Content-Type: application/json with no body on POSTs that take none.
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    if (text === "") return done(null, undefined);
    // JSON.parse's message quotes the body, which may hold a secret.
    parseJson(request, text, (error, value) => (error ? done(new HttpError(400, "Invalid request payload JSON format")) : done(null, value)));
  });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
}

/** Faults are decided before authentication and the handler, so a faulted request has no effect. */
async function injectFault(context: EmulatorContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (isAdminRequest(request)) return undefined;
  const decision = context.faults.decide(request.method, request.url.split("?", 1)[0] ?? "");
  if (decision === null) return undefined;
  if (decision.latencyMs > 0) {
    request.fault = "latency";
    await delay(decision.latencyMs);
  }
  const { outcome } = decision;
  if (outcome === null) return undefined;
  request.fault = outcome.kind;
  switch (outcome.kind) {
    case "drop":
      recordRequest(context, request, null);
      reply.hijack();
      request.raw.socket.destroy();
      return reply;
    case "lostAnswer":
      return undefined;
    case "429":
      return reply
        .code(429)
        .header("retry-after", String(outcome.retryAfterSeconds))
        .send(boomBody(429, `Rate limit exceeded (injected fault): retry after ${outcome.retryAfterSeconds} s`));
    case "5xx":
      return reply.code(outcome.status).send(boomBody(outcome.status, "Injected fault: the service is unavailable, retry later"));
  }
}

function recordRequest(context: EmulatorContext, request: FastifyRequest, status: number | null): void {
  if (request.fault === "drop" && status !== null) return;
  context.requestLog.record({
    method: request.method,
    url: request.url,
    route: request.routeOptions.url ?? null,
    status,
    fault: request.fault,
  });
}

function isAdminRequest(request: FastifyRequest): boolean {
  return request.url === ADMIN_PREFIX || request.url.startsWith(`${ADMIN_PREFIX}/`);
}
