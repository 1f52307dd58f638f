/**
 * The Immuta REST client shared by every resource in one dynamic-provider host process: one
 * keep-alive agent and one concurrency limit per Immuta URL, one token per API key.
 */
import http from "node:http";
import https from "node:https";
import { AxiosError, type AxiosInstance } from "axios";
import pLimit from "p-limit";
import type { z } from "zod";
import type { ProviderSettings } from "../config";
import { ConfigurationError, ImmutaApiError, ImmutaUnreachableError, redact } from "../errors";
import { mayHaveTakenEffect, RetryBudget, retryingHttp } from "../retry";
import { parseOrigin } from "../urls";
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

interface Transport {
  readonly http: AxiosInstance;
  readonly limit: pLimit.Limit;
}

const transports = new Map<string, Transport>();

function transportFor(settings: ProviderSettings): Transport {
  let transport = transports.get(settings.url);
  if (!transport) {
    const agentOptions = { keepAlive: true, maxSockets: settings.maxConcurrency };
    transport = {
      http: retryingHttp({
        baseURL: settings.url,
        httpAgent: new http.Agent(agentOptions),
        httpsAgent: new https.Agent(agentOptions),
        headers: { Accept: "application/json", "User-Agent": "pulumi-immuta-lakebase" },
      }),
      limit: pLimit(settings.maxConcurrency),
    };
    transports.set(settings.url, transport);
  }
  return transport;
}

interface Answer {
  readonly status: number;
  readonly data: unknown;
  readonly attempts: number;
  readonly mayHaveTakenEffect: boolean;
}

export class ImmutaClient {
  private tokenPromise: Promise<string> | undefined;

  constructor(private readonly settings: ProviderSettings) {
    const parsed = parseOrigin(settings.url);
    if ("problem" in parsed) throw new ConfigurationError(`The Immuta URL ${parsed.problem}.`);
  }

  /** Sends the request with a bearer token; after a 401 it authenticates again and replays it once. */
  async request<T>(req: ImmutaRequest<T>): Promise<T> {
    const used = this.token();
    const token = await used;
    const first = await this.send(req, token);
    if (first.status !== 401) return this.parse(req, first, token);
    // Only the first request to see the token refused drops it; the others share the new exchange.
    if (this.tokenPromise === used) this.tokenPromise = undefined;
    const renewed = await this.token();
    return this.parse(req, await this.send(req, renewed), renewed);
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
    return this.parse(req, await this.send(req, undefined), undefined).token;
  }

  private async send(req: ImmutaRequest<unknown>, token: string | undefined): Promise<Answer> {
    const { http, limit } = transportFor(this.settings);
    const budget = new RetryBudget(this.settings.maxRetries);
    const outcome = (status: number, data: unknown, lastMayHaveTakenEffect: boolean): Answer => ({
      status,
      data,
      attempts: budget.attempts,
      mayHaveTakenEffect: budget.earlierAttemptMayHaveTakenEffect || lastMayHaveTakenEffect,
    });
    try {
      // The request config (and so the retry window) is made once a concurrency slot is free.
      const response = await limit(() =>
        http.request({
          method: req.method,
          url: req.path,
          params: req.query,
          data: req.body,
          timeout: this.settings.requestTimeoutMs,
          headers: token ? { Authorization: `Bearer ${token}` } : undefined,
          "axios-retry": budget.axiosRetryConfig(),
        }),
      );
      return outcome(response.status, response.data, false);
    } catch (error) {
      if (error instanceof AxiosError && error.response) return outcome(error.response.status, error.response.data, mayHaveTakenEffect(error));
      const reason = error instanceof AxiosError ? describeNetworkFailure(error) : "unexpected client failure";
      const ambiguous = budget.earlierAttemptMayHaveTakenEffect || (error instanceof AxiosError && mayHaveTakenEffect(error));
      throw new ImmutaUnreachableError(req.operation, reason, budget.attempts, this.settings.url, ambiguous);
    }
  }

  private parse<T>(req: ImmutaRequest<T>, answer: Answer, token: string | undefined): T {
    if (answer.status >= 200 && answer.status < 300) {
      const parsed = req.response.safeParse(answer.data);
      if (parsed.success) return parsed.data;
      const where = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
      throw new ImmutaApiError(req.operation, answer.status, `unexpected response shape: ${where}`, answer.attempts,
        "This Immuta version answers differently than provider/immuta/wire.ts assumes; please report it with the Immuta version.");
    }
    const body = errorBody.safeParse(answer.data);
    const message = body.success ? (body.data.message ?? body.data.error ?? "") : "";
    const scrubbed = redact(message, [this.settings.apiKey, token, ...(req.secrets ?? [])]);
    throw new ImmutaApiError(req.operation, answer.status, scrubbed, answer.attempts, hintFor(answer.status, req), answer.mayHaveTakenEffect);
  }
}

function hintFor(status: number, req: ImmutaRequest<unknown>): string {
  switch (status) {
    case 400:
      return "Immuta rejected the request as invalid; the message above says which field.";
    case 401:
      return req.path === paths.authenticate()
        ? "The API key was rejected. Check that immuta:apiKey (or IMMUTA_API_KEY) is a current API key of this Immuta tenant."
        : "Immuta rejected the bearer token twice. Check that the API key has not been revoked.";
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
  const key = JSON.stringify([settings.url, settings.apiKey, settings.requestTimeoutMs, settings.maxRetries]);
  let client = clients.get(key);
  if (!client) {
    client = new ImmutaClient(settings);
    clients.set(key, client);
  }
  return client;
}
