import type { FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import type pg from "pg";
import { findCaller, type Caller } from "../state/bearerTokens";
import { HttpError } from "./httpError";

declare module "fastify" {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

const AUTHENTICATE_HINT = "authenticate with POST /bim/apikey/authenticate and send the token as 'Authorization: Bearer <token>'";

/** Resolves `Authorization: Bearer <token>` to the caller; 401 when missing, unknown or expired. */
export function bearerAuthentication(state: pg.Pool): onRequestAsyncHookHandler {
  return async (request) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
    if (match?.[1] === undefined) throw new HttpError(401, `Missing bearer token: ${AUTHENTICATE_HINT}`);
    const caller = await findCaller(state, match[1]);
    if (caller === undefined) throw new HttpError(401, `The bearer token is unknown or has expired: ${AUTHENTICATE_HINT}`);
    request.caller = caller;
  };
}

export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === null) throw new Error(`route ${request.method} ${request.url} ran without bearer authentication`);
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
