import { AxiosError } from "axios";
import { exponentialDelay, type IAxiosRetryConfig } from "axios-retry";

/** Retries stop once this much time has passed since the first attempt, whatever the attempt count. */
export const RETRY_WINDOW_MS = 120_000;
const BASE_DELAY_MS = 250;

/** Statuses after which the request was not processed and may be sent again, whatever its method. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

const RETRYABLE_NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN", "ERR_NETWORK"]);

/** A retryable status, or a connection that failed or was dropped before an answer came. */
export function isRetryable(error: AxiosError): boolean {
  if (error.response) return RETRYABLE_STATUSES.has(error.response.status);
  return error.code !== undefined && RETRYABLE_NETWORK_CODES.has(error.code);
}

/**
 * One request's retry state for axios-retry: exponential backoff with jitter that honours
 * Retry-After (axios-retry's exponentialDelay), bounded by attempts and by RETRY_WINDOW_MS.
 */
export class RetryBudget {
  private retries = 0;
  private plannedDelay = 0;
  private readonly startedAt = Date.now();

  constructor(private readonly maxRetries: number) {}

  get attempts(): number {
    return this.retries + 1;
  }

  axiosRetryConfig(): IAxiosRetryConfig {
    return {
      retries: this.maxRetries,
      shouldResetTimeout: true,
      retryCondition: (error) => isRetryable(error) && this.plan(error),
      retryDelay: () => this.plannedDelay,
      onRetry: () => {
        this.retries += 1;
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
