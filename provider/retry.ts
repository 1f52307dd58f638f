/**
 * The one place where attempts are run: a unit of work (one HTTP request, or a read-then-write
 * that must not re-send what it read) is tried again after a failure worth retrying, with
 * exponential backoff and jitter that honours Retry-After, within a number of retries and a time
 * window. Callers build their own errors; this module only reads what a failure says about
 * retrying (`RetryableFailure`).
 */

export interface RetryTiming {
  /** The first backoff; it doubles with every retry (Retry-After, when longer, wins). */
  readonly baseDelayMs: number;
  /** No retry is started once it would begin this long after the first attempt did. */
  readonly windowMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** 0 ≤ r < 1, for the jitter. */
  readonly random: () => number;
}

export const DEFAULT_TIMING: RetryTiming = {
  baseDelayMs: 250,
  windowMs: 120_000,
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** What a failed attempt says about retrying it: how it failed, and how long the server asked us to wait. */
export interface RetryableFailure {
  /** The HTTP status, when the server answered. */
  readonly status?: number;
  /** The network error code, when no answer came (undefined when the cause is unknown). */
  readonly networkCode?: string;
  readonly retryAfterMs?: number;
}

/** Answers worth sending the request again for: throttling, and a server or gateway that is briefly unavailable. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
/** Of those, the ones where a gateway may have passed the request on before failing, so it may have taken effect. */
const AMBIGUOUS_STATUSES: ReadonlySet<number> = new Set([502, 504]);

/** Connection failures worth retrying; all but a refused connection and a failed DNS lookup may have reached the server. */
const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN", "ERR_NETWORK"]);
const UNSENT_NETWORK_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "EAI_AGAIN"]);

function isRetryable(failure: RetryableFailure): boolean {
  if (failure.status !== undefined) return RETRYABLE_STATUSES.has(failure.status);
  return failure.networkCode !== undefined && RETRYABLE_NETWORK_CODES.has(failure.networkCode);
}

/** Whether a failed attempt may still have been carried out by the server (the request got there but its answer did not come back). */
export function mayHaveTakenEffect(failure: RetryableFailure): boolean {
  if (failure.status !== undefined) return AMBIGUOUS_STATUSES.has(failure.status);
  return failure.networkCode === undefined || !UNSENT_NETWORK_CODES.has(failure.networkCode);
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds from now; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface Attempt {
  /** 1 for the first attempt. */
  readonly number: number;
  /** An earlier attempt failed in a way that does not prove it had no effect. */
  readonly earlierMayHaveTakenEffect: boolean;
}

export interface RetryLimits {
  readonly maxRetries: number;
  readonly timing: RetryTiming;
}

/** Errors that ended a retry loop; see `finalised`. */
const final = new WeakSet<object>();

/**
 * Runs `attempt` until it succeeds, throws something `failureOf` does not call retryable, or the
 * limits are spent; then the last attempt's error is thrown as it is. The wait for a concurrency
 * slot happens inside an attempt (a backoff holds none), so the window opens when the first
 * attempt begins.
 */
export async function runAttempts<T>(
  limits: RetryLimits,
  failureOf: (error: unknown) => RetryableFailure | undefined,
  attempt: (attempt: Attempt) => Promise<T>,
): Promise<T> {
  const { timing } = limits;
  const startedAt = timing.now();
  let earlierMayHaveTakenEffect = false;
  for (let number = 1; ; number++) {
    try {
      return await attempt({ number, earlierMayHaveTakenEffect });
    } catch (error) {
      const failure = isFinal(error) ? undefined : failureOf(error);
      if (failure === undefined || !isRetryable(failure) || number > limits.maxRetries) throw finalised(error);
      const delay = backoff(number - 1, failure.retryAfterMs, timing);
      if (timing.now() - startedAt + delay > timing.windowMs) throw finalised(error);
      earlierMayHaveTakenEffect ||= mayHaveTakenEffect(failure);
      await timing.sleep(delay);
    }
  }
}

/**
 * Marks an error that ended a retry loop, so that it ends every enclosing loop too (say, a token
 * exchange that gave up inside a request's attempt): nested retries never multiply.
 */
function finalised(error: unknown): unknown {
  if (typeof error === "object" && error !== null) final.add(error);
  return error;
}

function isFinal(error: unknown): boolean {
  return typeof error === "object" && error !== null && final.has(error);
}

/** base·2^retries, or Retry-After when that is longer, plus up to 20% jitter so that throttled callers do not return in step. */
function backoff(retries: number, retryAfterMs: number | undefined, timing: RetryTiming): number {
  const delay = Math.max(timing.baseDelayMs * 2 ** retries, retryAfterMs ?? 0);
  return delay + delay * 0.2 * timing.random();
}
