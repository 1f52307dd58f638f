/**
 * The Immuta REST client shared by every resource in one dynamic-provider host process: one
 * keep-alive agent and one concurrency limit per base URL, one token per API key.
 */
import http from "node:http";
import https from "node:https";
import axios, { AxiosError, AxiosInstance } from "axios";
import axiosRetry from "axios-retry";
import pLimit from "p-limit";
import type { z } from "zod";
import { ConfigurationError, ImmutaApiError, ImmutaUnreachableError } from "../errors";
import { parseOrigin } from "../urls";
import type { ProviderSettings } from "../config";
import { authenticateResponse, errorBody, paths } from "./wire";
import { RETRYABLE_STATUSES, RetryBudget } from "../retry";

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
}

interface Transport {
  readonly http: AxiosInstance;
  readonly limit: pLimit.Limit;
}

const transports = new Map<string, Transport>();

function transportFor(settings: ProviderSettings): Transport {
  const key = `${settings.url} ${settings.requestTimeoutMs} ${settings.maxConcurrency}`;
  let transport = transports.get(key);
  if (!transport) {
    const agentOptions = { keepAlive: true, maxSockets: settings.maxConcurrency };
    const instance = axios.create({
      baseURL: settings.url,
      timeout: settings.requestTimeoutMs,
      httpAgent: new http.Agent(agentOptions),
      httpsAgent: new https.Agent(agentOptions),
      headers: { Accept: "application/json", "User-Agent": "pulumi-immuta-lakebase" },
      // Statuses are handled below, so a non-2xx answer is data rather than an AxiosError.
      validateStatus: () => true,
    });
    installRetries(instance);
    transport = { http: instance, limit: pLimit(settings.maxConcurrency) };
    transports.set(key, transport);
  }
  return transport;
}

/**
 * Lets axios-retry see retryable answers: validateStatus accepts every status (so that an error
 * answer is data, not an AxiosError carrying headers), so retryable ones are rejected here first.
 */
function installRetries(instance: AxiosInstance): void {
  instance.interceptors.response.use((response) =>
    RETRYABLE_STATUSES.has(response.status)
      ? Promise.reject(new AxiosError("retryable status", AxiosError.ERR_BAD_RESPONSE, response.config, response.request, response))
      : response,
  );
  axiosRetry(instance);
}

export class ImmutaClient {
  private tokenPromise: Promise<string> | undefined;

  constructor(private readonly settings: ProviderSettings) {
    const parsed = parseOrigin(settings.url);
    if ("problem" in parsed) throw new ConfigurationError(`The Immuta URL ${parsed.problem}.`);
  }

  get baseUrl(): string {
    return this.settings.url;
  }

  /** Sends the request with a bearer token; after a 401 it authenticates again and replays it once. */
  async request<T>(req: ImmutaRequest<T>): Promise<T> {
    const used = this.token();
    const first = await this.send(req, await used);
    if (first.status !== 401) return this.parse(req, first);
    // Only the first request to see the token refused drops it; the others share the new exchange.
    if (this.tokenPromise === used) this.tokenPromise = undefined;
    return this.parse(req, await this.send(req, await this.token()));
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
    const answer = await this.send(req, undefined);
    return this.parse(req, answer).token;
  }

  private async send(req: ImmutaRequest<unknown>, token: string | undefined): Promise<Answer> {
    const { http, limit } = transportFor(this.settings);
    const budget = new RetryBudget(this.settings.maxRetries);
    try {
      const response = await limit(() =>
        http.request({
          method: req.method,
          url: req.path,
          params: req.query,
          data: req.body,
          headers: token ? { Authorization: `Bearer ${token}` } : undefined,
          "axios-retry": budget.axiosRetryConfig(),
        }),
      );
      return { status: response.status, data: response.data, attempts: budget.attempts };
    } catch (error) {
      if (error instanceof AxiosError && error.response) {
        return { status: error.response.status, data: error.response.data, attempts: budget.attempts };
      }
      const reason = error instanceof AxiosError ? describeNetworkFailure(error) : "unexpected client failure";
      throw new ImmutaUnreachableError(req.operation, reason, budget.attempts, this.settings.url);
    }
  }

  private parse<T>(req: ImmutaRequest<T>, answer: Answer): T {
    if (answer.status >= 200 && answer.status < 300) {
      const parsed = req.response.safeParse(answer.data);
      if (parsed.success) return parsed.data;
      const where = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
      throw new ImmutaApiError(req.operation, answer.status, `unexpected response shape: ${where}`, answer.attempts,
        "This Immuta version answers differently than provider/immuta/wire.ts assumes; please report it with the Immuta version.");
    }
    const body = errorBody.safeParse(answer.data);
    const message = body.success ? (body.data.message ?? body.data.error ?? "") : "";
    throw new ImmutaApiError(req.operation, answer.status, message, answer.attempts, hintFor(answer.status, req));
  }
}

interface Answer {
  readonly status: number;
  readonly data: unknown;
  readonly attempts: number;
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

const clients = new Map<string, ImmutaClient>();

/** The one client per Immuta URL and API key in this process (so every resource shares its token). */
export function immutaClientFor(settings: ProviderSettings): ImmutaClient {
  const key = JSON.stringify([settings.url, settings.apiKey, settings.requestTimeoutMs, settings.maxRetries, settings.maxConcurrency]);
  let client = clients.get(key);
  if (!client) {
    client = new ImmutaClient(settings);
    clients.set(key, client);
  }
  return client;
}
