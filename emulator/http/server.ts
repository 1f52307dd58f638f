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
import { callerOf, immutaAuthentication } from "./authentication";
import type { FaultKind } from "./faults";
import { boomBody, HttpError, rejectNulCharacters } from "./httpError";
import { enforceRateLimit } from "./rateLimiter";

declare module "fastify" {
  interface FastifyRequest {
    fault: FaultKind | null;
    /** Set once the request is in the request log: each request is recorded exactly once. */
    logged: boolean;
    /** A late answer's hold, served once the body is read (a client that gives up would cut the body short). */
    lateAnswerMs: number;
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
  // Held requests (latency, late answers) give up when the server closes, so nothing runs against a stopped emulator.
  const closing = new AbortController();
  app.addHook("onClose", async () => closing.abort());
  app.decorateRequest("caller", null);
  app.decorateRequest("fault", null);
  app.decorateRequest("logged", false);
  app.decorateRequest("lateAnswerMs", 0);
  installBodyParsers(app);

  app.addHook("onRequest", async (request, reply) => injectFault(context, request, reply, closing.signal));
  // Held past the client's patience, then carried out whether or not the client still listens.
  app.addHook("preHandler", async (request, reply) => {
    if (request.lateAnswerMs > 0 && !(await hold(request.lateAnswerMs, closing.signal))) return abandon(context, request, reply);
    return undefined;
  });
  // onSend runs for every answer, even one whose client has gone (onResponse would not), so the log misses none.
  app.addHook("onSend", async (request, reply, payload) => {
    if (!isAdminRequest(request)) recordRequest(context, request, reply.statusCode);
    if (request.fault === "lostAnswer") request.raw.socket.destroy();
    return payload;
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) return reply.code(error.statusCode).headers(error.headers).send(boomBody(error.statusCode, error.message));
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
    immuta.addHook("onRequest", async (request) => enforceRateLimit(context.rateLimiter, request, callerOf(request)));
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

/** Faults are decided before authentication and the handler, so a faulted request has no effect (a lost or late answer aside). */
async function injectFault(context: EmulatorContext, request: FastifyRequest, reply: FastifyReply, closing: AbortSignal): Promise<FastifyReply | undefined> {
  if (isAdminRequest(request)) return undefined;
  const decision = context.faults.decide(request.method, request.url.split("?", 1)[0] ?? "");
  if (decision === null) return undefined;
  if (decision.latencyMs > 0) {
    request.fault = "latency";
    // A client that gives up during the latency leaves nothing behind: its request is not carried out.
    if (!(await holdWhileClientWaits(request, decision.latencyMs, closing))) return abandon(context, request, reply);
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
    case "lateAnswer":
      request.lateAnswerMs = outcome.delayMs;
      return undefined;
    case "429":
      return reply.code(429).header("retry-after", String(outcome.retryAfterSeconds)).send(boomBody(429, "Rate limit exceeded"));
    case "5xx":
      return reply.code(outcome.status).send(boomBody(outcome.status));
  }
}

/** Waits `ms`; false when `signal` ended the wait first. */
async function hold(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Like hold, but also ends when the client's connection closes. */
async function holdWhileClientWaits(request: FastifyRequest, ms: number, closing: AbortSignal): Promise<boolean> {
  const socket = request.raw.socket;
  if (socket.destroyed) return false;
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  socket.once("close", onClose);
  try {
    return await hold(ms, AbortSignal.any([closing, gone.signal]));
  } finally {
    socket.off("close", onClose);
  }
}

/** The request goes no further and gets no answer; the log says so (status null). */
function abandon(context: EmulatorContext, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  recordRequest(context, request, null);
  reply.hijack();
  request.raw.socket.destroy();
  return reply;
}

function recordRequest(context: EmulatorContext, request: FastifyRequest, status: number | null): void {
  if (request.logged) return;
  request.logged = true;
  context.requestLog.record({
    method: request.method,
    url: request.url,
    route: request.routeOptions.url ?? null,
    status,
    // A request refused before routing is not decorated.
    fault: request.fault ?? null,
  });
}

function isAdminRequest(request: FastifyRequest): boolean {
  return request.url === ADMIN_PREFIX || request.url.startsWith(`${ADMIN_PREFIX}/`);
}
