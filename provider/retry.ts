import axios, { AxiosError, type AxiosInstance, type CreateAxiosDefaults } from "axios";
import axiosRetry, { exponentialDelay, type IAxiosRetryConfig } from "axios-retry";

/** Retries stop once this much time has passed since a request was first sent, whatever the attempt count. */
const RETRY_WINDOW_MS = 120_000;
const BASE_DELAY_MS = 250;

/** Answers worth sending the request again for: throttling, and a server or gateway that is briefly unavailable. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
/** Of those, the ones where a gateway may have passed the request on before failing, so it may have taken effect. */
const AMBIGUOUS_STATUSES: ReadonlySet<number> = new Set([502, 504]);

/** Connection failures worth retrying; all but a refused connection may have reached the server. */
const RETRYABLE_NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN", "ERR_NETWORK"]);
const UNSENT_NETWORK_CODES = new Set(["ECONNREFUSED", "EAI_AGAIN"]);

function isRetryable(error: AxiosError): boolean {
  if (error.response) return RETRYABLE_STATUSES.has(error.response.status);
  return error.code !== undefined && RETRYABLE_NETWORK_CODES.has(error.code);
}

/** Whether a failed attempt may still have been carried out by the server (the request got there but its answer did not come back). */
export function mayHaveTakenEffect(error: AxiosError): boolean {
  if (error.response) return AMBIGUOUS_STATUSES.has(error.response.status);
  return error.code === undefined || !UNSENT_NETWORK_CODES.has(error.code);
}

/**
 * An axios instance whose every answer is data (validateStatus accepts all, so that an error
 * answer never becomes an AxiosError carrying headers and config), except the retryable ones,
 * which are rejected so that axios-retry sees them. Each request brings its own RetryBudget.
 */
export function retryingHttp(defaults: CreateAxiosDefaults): AxiosInstance {
  const instance = axios.create({ ...defaults, validateStatus: () => true });
  instance.interceptors.response.use((response) =>
    RETRYABLE_STATUSES.has(response.status)
      ? Promise.reject(new AxiosError("retryable status", AxiosError.ERR_BAD_RESPONSE, response.config, response.request, response))
      : response,
  );
  axiosRetry(instance);
  return instance;
}

/**
 * One request's retry state for axios-retry: exponential backoff with jitter that honours
 * Retry-After (axios-retry's exponentialDelay), bounded by attempts and by RETRY_WINDOW_MS from
 * the moment the request is first sent. It also remembers whether an attempt that failed may
 * have taken effect, so that a caller can tell "it already exists" from "we created it".
 */
export class RetryBudget {
  private retries = 0;
  private plannedDelay = 0;
  private startedAt = 0;
  private ambiguous = false;

  constructor(private readonly maxRetries: number) {}

  get attempts(): number {
    return this.retries + 1;
  }

  /** True when an earlier attempt failed in a way that does not prove it had no effect. */
  get earlierAttemptMayHaveTakenEffect(): boolean {
    return this.ambiguous;
  }

  /** The per-request axios-retry options; call it when the request is sent (the window starts then). */
  axiosRetryConfig(): IAxiosRetryConfig {
    this.startedAt = Date.now();
    return {
      retries: this.maxRetries,
      shouldResetTimeout: true,
      retryCondition: (error) => isRetryable(error) && this.plan(error),
      retryDelay: () => this.plannedDelay,
      onRetry: (_count, error) => {
        this.retries += 1;
        this.ambiguous ||= mayHaveTakenEffect(error);
      },
    };
  }

  private plan(error: AxiosError): boolean {
    const delay = exponentialDelay(this.retries, error, BASE_DELAY_MS);
    if (Date.now() - this.startedAt + delay > RETRY_WINDOW_MS) return false;
    this.plannedDelay = delay;
    return true;
  }
}
