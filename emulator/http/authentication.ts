import type { FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import type pg from "pg";
import { findCaller, findKeyOwner, type Caller } from "../state/bearerTokens";
import { HttpError } from "./httpError";

declare module "fastify" {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

/**
 * Immuta's two documented ways to authenticate a call: `Authorization: Bearer <token>` from the key
 * exchange, or the raw API key itself (`Authorization: <apikey>`, no scheme). 401 otherwise.
 */
export function immutaAuthentication(state: pg.Pool): onRequestAsyncHookHandler {
  return async (request) => {
    const credential = credentialOf(request);
    if (credential === undefined) throw new HttpError(401, "Missing authentication");
    const caller = credential.kind === "bearer" ? await findCaller(state, credential.value) : await findKeyOwner(state, credential.value);
    if (caller === undefined) {
      throw new HttpError(401, credential.kind === "bearer" ? "The bearer token is unknown or has expired" : "Invalid API key");
    }
    request.caller = caller;
  };
}

/** What the Authorization header carries: a bearer token, a raw API key (a single word), or nothing usable. */
export function credentialOf(request: FastifyRequest): { kind: "bearer" | "apiKey"; value: string } | undefined {
  const header = (request.headers.authorization ?? "").trim();
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer?.[1] !== undefined) return { kind: "bearer", value: bearer[1] };
  return /^\S+$/.test(header) ? { kind: "apiKey", value: header } : undefined;
}

export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === null) throw new Error(`route ${request.method} ${request.url} ran without authentication`);
  return request.caller;
}

/** The caller, if they hold `permission`; 403 otherwise. */
export function requirePermission(request: FastifyRequest, permission: string): Caller {
  const caller = callerOf(request);
  if (!caller.permissions.includes(permission)) {
    throw new HttpError(403, `User ${caller.iamid}/${caller.userid} lacks the ${permission} permission required for ${request.method} ${request.routeOptions.url ?? request.url}`);
  }
  return caller;
}
