/**
 * The Immuta REST client shared by every resource in one dynamic-provider host process: one
 * keep-alive agent and one throttle per Immuta URL (throttle.ts), one token per API key.
 */
import http from "node:http";
import https from "node:https";
import axios, { AxiosError, type AxiosInstance, type AxiosResponse } from "axios";
import type { z } from "zod";
import type { ProviderSettings } from "../config";
import { ConfigurationError, ImmutaApiError, ImmutaUnreachableError, NotAnImmutaApiError, redact } from "../errors";
import { DEFAULT_TIMING, mayHaveTakenEffect, parseRetryAfter, runAttempts, type Attempt, type RetryableFailure, type RetryTiming } from "../retry";
import { parseOrigin } from "../urls";
import { throttleFor } from "./throttle";
import { authenticateResponse, errorBody, paths } from "./wire";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export interface ImmutaRequest<T> {
  /** What the caller is doing, in words, e.g. `Reading connection "sales"`: starts every error message. */
  readonly operation: string;
  readonly method: Method;
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly response: z.ZodType<T>;
  /** The Immuta permission the call needs, named in the error when Immuta answers 403. */
  readonly permission?: string;
  /** Secrets in the body, scrubbed from Immuta's answer should it echo them in an error. */
  readonly secrets?: readonly string[];
}

const transports = new Map<string, AxiosInstance>();

function transportFor(settings: ProviderSettings): AxiosInstance {
  const key = JSON.stringify([settings.url, settings.maxConcurrency]);
  let transport = transports.get(key);
  if (!transport) {
    const agentOptions = { keepAlive: true, maxSockets: settings.maxConcurrency };
    transport = axios.create({
        baseURL: settings.url,
        httpAgent: new http.Agent(agentOptions),
        httpsAgent: new https.Agent(agentOptions),
        headers: { Accept: "application/json", "User-Agent": "pulumi-immuta-lakebase" },
        // Every answer is data, so that an error answer never becomes an AxiosError carrying headers and config.
        validateStatus: () => true,
        // Immuta's API does not redirect; a redirect leads to a sign-on page, and is reported rather than followed.
        maxRedirects: 0,
    });
    transports.set(key, transport);
  }
  return transport;
}

/** An HTTP answer reduced to what the client reads (never the headers as a whole: they may echo credentials). */
interface Reply {
  readonly status: number;
  readonly data: unknown;
  /** The media type without parameters, lower-case. */
  readonly contentType: string | undefined;
  readonly location: string | undefined;
  readonly retryAfterMs: number | undefined;
}

function replyOf(response: AxiosResponse, now: number): Reply {
  const header = (name: string): string | undefined => {
    const value: unknown = response.headers[name];
    return typeof value === "string" ? value : undefined;
  };
  return {
    status: response.status,
    data: response.data,
    contentType: header("content-type")?.split(";")[0]?.trim().toLowerCase() || undefined,
    location: header("location"),
    retryAfterMs: parseRetryAfter(header("retry-after"), now),
  };
}

/**
 * Immuta's API answers JSON and never redirects. A redirect, or a non-JSON answer that a gateway in
 * front of a real Immuta would not give (those are 429 and 5xx), means immuta:url points elsewhere.
 */
function isFromImmutaApi(reply: Reply): boolean {
  if (reply.status >= 300 && reply.status < 400) return false;
  if (reply.status >= 500 || reply.status === 429 || reply.contentType === undefined) return true;
  return /^application\/([\w.-]+\+)?json$/.test(reply.contentType);
}

/** A redirect's target as origin and path: its query may carry a sign-on request or a token. */
function redirectTarget(location: string | undefined, from: string): string | undefined {
  if (location === undefined) return undefined;
  try {
    const target = new URL(location, from);
    return `${target.origin}${target.pathname}`;
  } catch {
    return undefined;
  }
}

/** The failures the retry loop may retry: Immuta's answers and network failures. */
function retryableFailure(error: unknown): RetryableFailure | undefined {
  return error instanceof ImmutaApiError || error instanceof ImmutaUnreachableError ? error : undefined;
}

export class ImmutaClient {
  private tokenPromise: Promise<string> | undefined;
  private readonly timing: RetryTiming;

  /** `timing` is for tests, which scale the backoff down or act between attempts. */
  constructor(
    private readonly settings: ProviderSettings,
    timing: Partial<RetryTiming> = {},
  ) {
    const parsed = parseOrigin(settings.url);
    if ("problem" in parsed) throw new ConfigurationError(`The Immuta URL ${parsed.problem}.`);
    this.timing = {
      ...DEFAULT_TIMING,
      baseDelayMs: settings.retryBaseDelayMs ?? DEFAULT_TIMING.baseDelayMs,
      windowMs: settings.retryWindowMs ?? DEFAULT_TIMING.windowMs,
      ...timing,
    };
  }

  /**
   * Sends the request with the current bearer token and retries it as a unit of its own; or, given
   * an attempt of a unit that the caller retries (see `retrying`), sends it within that attempt only.
   */
  request<T>(req: ImmutaRequest<T>, attempt?: Attempt): Promise<T> {
    return attempt ? this.attempt(req, attempt) : this.retrying((each) => this.attempt(req, each));
  }

  /**
   * Runs a unit of work (say, a read and the write that depends on it) within this client's retry
   * limits: when a request sent within the attempt (`request(req, attempt)`) fails in a way worth
   * retrying, the whole unit runs again after the backoff.
   */
  retrying<T>(unit: (attempt: Attempt) => Promise<T>): Promise<T> {
    return runAttempts({ maxRetries: this.settings.maxRetries, timing: this.timing }, retryableFailure, unit);
  }

  private async attempt<T>(req: ImmutaRequest<T>, attempt: Attempt): Promise<T> {
    const { reply, token } = await this.sendWithCurrentToken(req, attempt);
    return this.parse(req, reply, attempt, token);
  }

  /**
   * Sends with the current token. A 401 for a token that was replaced while the request was on its
   * way is sent again with the replacement; a 401 for the current token renews it, once per attempt,
   * so a 401 after that means Immuta refused a token it had just issued.
   */
  private async sendWithCurrentToken(req: ImmutaRequest<unknown>, attempt: Attempt): Promise<{ reply: Reply; token: string }> {
    let renewed = false;
    for (;;) {
      const current = this.token();
      const token = await current;
      const reply = await this.send(req, token, attempt);
      if (reply.status !== 401 || renewed) return { reply, token };
      // Only the first request to see the current token refused drops it; the others share the new exchange.
      if (this.tokenPromise === current) {
        this.tokenPromise = undefined;
        renewed = true;
      }
    }
  }

  private token(): Promise<string> {
    this.tokenPromise ??= this.authenticate();
    const pending = this.tokenPromise;
    pending.catch(() => {
      if (this.tokenPromise === pending) this.tokenPromise = undefined;
    });
    return pending;
  }

  private async authenticate(): Promise<string> {
    const req: ImmutaRequest<z.infer<typeof authenticateResponse>> = {
      operation: "Exchanging the Immuta API key for a token",
      method: "POST",
      path: paths.authenticate(),
      body: { apikey: this.settings.apiKey },
      response: authenticateResponse,
    };
    const { token } = await this.retrying(async (attempt) => this.parse(req, await this.send(req, undefined, attempt), attempt, undefined));
    return token;
  }

  /** One HTTP exchange through the Immuta's throttle, holding a slot only while it is in flight (never during a backoff). */
  private async send(req: ImmutaRequest<unknown>, token: string | undefined, attempt: Attempt): Promise<Reply> {
    const http = transportFor(this.settings);
    const throttle = throttleFor(this.settings.url, this.settings);
    try {
      const response = await throttle.schedule(() =>
        http.request({
          method: req.method,
          url: req.path,
          params: req.query,
          data: req.body,
          timeout: this.settings.requestTimeoutMs,
          headers: token ? { Authorization: `Bearer ${token}` } : undefined,
        }),
      );
      const reply = replyOf(response, this.timing.now());
      throttle.answered(reply.status, reply.retryAfterMs);
      return reply;
    } catch (error) {
      const networkCode = error instanceof AxiosError ? error.code : undefined;
      const reason = error instanceof AxiosError ? describeNetworkFailure(error) : "unexpected client failure";
      const ambiguous = attempt.earlierMayHaveTakenEffect || (error instanceof AxiosError && mayHaveTakenEffect({ networkCode }));
      throw new ImmutaUnreachableError(req.operation, reason, attempt.number, this.settings.url, ambiguous, networkCode);
    }
  }

  private parse<T>(req: ImmutaRequest<T>, reply: Reply, attempt: Attempt, token: string | undefined): T {
    if (!isFromImmutaApi(reply)) {
      throw new NotAnImmutaApiError(req.operation, this.settings.url, reply.status, reply.contentType, redirectTarget(reply.location, `${this.settings.url}${req.path}`));
    }
    if (reply.status >= 200 && reply.status < 300) {
      const parsed = req.response.safeParse(reply.data);
      if (parsed.success) return parsed.data;
      const where = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
      throw new ImmutaApiError(req.operation, reply.status, `unexpected response shape: ${where}`, attempt.number,
        "This Immuta version answers differently than provider/immuta/wire.ts assumes; please report it with the Immuta version.");
    }
    const body = errorBody.safeParse(reply.data);
    const message = body.success ? (body.data.message ?? body.data.error ?? "") : "";
    const scrubbed = redact(message, [this.settings.apiKey, token, ...(req.secrets ?? [])]);
    const ambiguous = attempt.earlierMayHaveTakenEffect || mayHaveTakenEffect({ status: reply.status });
    throw new ImmutaApiError(req.operation, reply.status, scrubbed, attempt.number, hintFor(reply.status, req), ambiguous, reply.retryAfterMs);
  }
}

function hintFor(status: number, req: ImmutaRequest<unknown>): string {
  switch (status) {
    case 400:
      return "Immuta rejected the request as invalid; the message above says which field.";
    case 401:
      return req.path === paths.authenticate()
        ? "The API key was rejected. Check that immuta:apiKey (or IMMUTA_API_KEY) is a current API key of this Immuta tenant."
        : "Immuta refused a bearer token it had just issued for the API key. Check that the API key has not been revoked and that its Immuta user is enabled.";
    case 403:
      return `The API key's Immuta user lacks the permission${req.permission ? ` ${req.permission}` : ""} this needs. Grant it in Immuta (People → Users → Permissions) or use another key.`;
    case 404:
      return "It does not exist in Immuta.";
    case 409:
      return "It conflicts with something that already exists in Immuta.";
    case 429:
      return "Immuta kept rate-limiting the requests. Lower immuta:maxConcurrency (or run pulumi with fewer --parallel) and try again.";
    default:
      return status >= 500
        ? "Immuta had a server-side problem. Try again later; if it persists, check the Immuta tenant's health."
        : "See Immuta's message above.";
  }
}

function describeNetworkFailure(error: AxiosError): string {
  if (error.code === AxiosError.ECONNABORTED || error.code === AxiosError.ETIMEDOUT) return "the request timed out";
  return error.code ? `network error ${error.code}` : "network error";
}

/** A request whose 404 means "not there": resolves to undefined instead of failing. */
export async function ifFound<T>(pending: Promise<T>): Promise<T | undefined> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof ImmutaApiError && error.status === 404) return undefined;
    throw error;
  }
}

const clients = new Map<string, ImmutaClient>();

/** The one client per Immuta URL and API key in this process (so every resource shares its token). */
export function immutaClientFor(settings: ProviderSettings): ImmutaClient {
  const key = JSON.stringify([settings.url, settings.apiKey, settings.requestTimeoutMs, settings.maxRetries, settings.maxConcurrency, settings.retryBaseDelayMs, settings.retryWindowMs]);
  let client = clients.get(key);
  if (!client) {
    client = new ImmutaClient(settings);
    clients.set(key, client);
  }
  return client;
}
