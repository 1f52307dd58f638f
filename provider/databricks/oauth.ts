/**
 * OAuth M2M for a Databricks service principal: `POST {workspaceUrl}/oidc/v1/token` with HTTP
 * Basic client credentials, `grant_type=client_credentials&scope=all-apis` (Databricks documents it
 * under "Authorize service principal access to Databricks with OAuth"). The token is also the
 * principal's PostgreSQL password on Lakebase.
 */
import { createHash } from "node:crypto";
import axios, { AxiosError, type AxiosResponse } from "axios";
import { z } from "zod";
import { DatabricksAuthError, redact } from "../errors";
import { DEFAULT_TIMING, parseRetryAfter, runAttempts } from "../retry";

export interface ServicePrincipal {
  readonly workspaceUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Tokens last an hour; a cached one is replaced this long before it expires. */
const REFRESH_MARGIN_MS = 2 * 60_000;
const MAX_RETRIES = 4;

const tokenResponse = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().positive() }).loose();
const oauthError = z.object({ error: z.string(), error_description: z.string().optional() }).loose();

// Every answer is data, so that an error answer never becomes an AxiosError carrying the Basic credentials.
const http = axios.create({ validateStatus: () => true });

interface CachedToken {
  readonly token: Promise<string>;
  /** Infinity while the request is in flight, so that concurrent callers share it. */
  readonly expiresAt: number;
}

const cache = new Map<string, CachedToken>();

function cacheKey(sp: ServicePrincipal): string {
  return createHash("sha256").update(JSON.stringify([sp.workspaceUrl, sp.clientId, sp.clientSecret])).digest("hex");
}

/** A workspace access token for the principal, from cache while it has more than two minutes left. */
export function workspaceToken(sp: ServicePrincipal, timeoutMs = 30_000): Promise<string> {
  const key = cacheKey(sp);
  const cached = cache.get(key);
  if (cached && cached.expiresAt - REFRESH_MARGIN_MS > Date.now()) return cached.token;
  const pending: Promise<string> = requestToken(sp, timeoutMs).then((issued) => {
    cache.set(key, { token: pending, expiresAt: issued.expiresAt });
    return issued.token;
  });
  cache.set(key, { token: pending, expiresAt: Infinity });
  pending.catch(() => cache.delete(key));
  return pending;
}

function requestToken(sp: ServicePrincipal, timeoutMs: number): Promise<{ token: string; expiresAt: number }> {
  return runAttempts({ maxRetries: MAX_RETRIES, timing: DEFAULT_TIMING }, (error) => (error instanceof DatabricksAuthError ? error : undefined), () => tokenAttempt(sp, timeoutMs));
}

async function tokenAttempt(sp: ServicePrincipal, timeoutMs: number): Promise<{ token: string; expiresAt: number }> {
  const where = `service principal ${sp.clientId} at ${sp.workspaceUrl}`;
  let response: AxiosResponse;
  try {
    response = await http.post(`${sp.workspaceUrl}/oidc/v1/token`, new URLSearchParams({ grant_type: "client_credentials", scope: "all-apis" }).toString(), {
      auth: { username: sp.clientId, password: sp.clientSecret },
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      timeout: timeoutMs,
    });
  } catch (error) {
    if (!(error instanceof AxiosError)) throw error;
    throw new DatabricksAuthError(`Could not reach the Databricks token endpoint for ${where} (${error.code ?? "network error"}). Check workspaceUrl and the network path to the workspace.`, {
      networkCode: error.code,
    });
  }
  const status = response.status;
  if (status === 200) {
    const parsed = tokenResponse.safeParse(response.data);
    if (parsed.success) return { token: parsed.data.access_token, expiresAt: Date.now() + parsed.data.expires_in * 1000 };
    throw new DatabricksAuthError(`The Databricks token endpoint for ${where} answered without an access token. Check that workspaceUrl is a Databricks workspace URL.`, { status });
  }
  const body = oauthError.safeParse(response.data);
  const code = body.success ? body.data.error : undefined;
  const said = body.success ? scrubbed(` ${body.data.error}${body.data.error_description ? `: ${body.data.error_description}` : ""}`, sp) : "";
  const retryAfter: unknown = response.headers["retry-after"];
  throw new DatabricksAuthError(`Databricks refused a token for ${where}: HTTP ${status}${said}. ${tokenErrorHint(status, code)}`, {
    status,
    retryAfterMs: parseRetryAfter(typeof retryAfter === "string" ? retryAfter : undefined, Date.now()),
  });
}

/** The endpoint's own words without the credentials, should it echo the request (the secret, or the Basic header it was sent in). */
function scrubbed(text: string, sp: ServicePrincipal): string {
  const basic = Buffer.from(`${sp.clientId}:${sp.clientSecret}`).toString("base64");
  return redact(text, [sp.clientSecret, basic, `Basic ${basic}`]);
}

function tokenErrorHint(status: number, code: string | undefined): string {
  if (code === "invalid_client" || status === 401) {
    return "Check that clientId is the service principal's application (client) id, that clientSecret is a current OAuth secret of that principal " +
      "(Databricks-managed principals only; Microsoft Entra ID principals get tokens from Entra), and that workspaceUrl is the workspace that owns the Lakebase database.";
  }
  if (code === "invalid_scope") return "The OAuth secret is scope-restricted; it must allow the all-apis scope.";
  if (status === 404) return "The workspace has no /oidc/v1/token endpoint: workspaceUrl must be the workspace URL, e.g. https://dbc-1234abcd-5678.cloud.databricks.com.";
  if (status === 429 || status >= 500) return "The workspace is overloaded or unavailable; try again later.";
  return "See the Databricks OAuth M2M documentation for this error code.";
}
