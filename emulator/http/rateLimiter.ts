import type { FastifyRequest } from "fastify";
import { z } from "zod";
import type { RateLimit, RateLimitStatus } from "../types";
import { HttpError } from "./httpError";

export const rateLimitSchema = z.strictObject({
  /** Tokens added to each API key's bucket per second. */
  requestsPerSecond: z.number().positive().max(1_000_000),
  /** The bucket's size: how many requests may arrive at once after a quiet spell. */
  burst: z.int().min(1).max(1_000_000),
});

export type { RateLimit, RateLimitStatus } from "../types";

interface Bucket {
  user: string;
  tokens: number;
  refilledAt: number;
  allowed: number;
  limited: number;
}

/**
 * A token bucket per API key, as a real service would throttle: each request takes a token; a
 * request that finds none is refused with the time until the next token (Retry-After).
 */
export class RateLimiter {
  private limit: RateLimit | undefined;
  private buckets = new Map<string, Bucket>();

  /** `now` in milliseconds; injectable so that tests need not wait. */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Sets (or with undefined removes) the limit; counters start again. */
  configure(limit: RateLimit | undefined): void {
    this.limit = limit;
    this.buckets.clear();
  }

  /** null when the request may go ahead; otherwise the whole seconds to wait (at least 1). */
  take(apiKey: string, user: string): { retryAfterSeconds: number } | null {
    const limit = this.limit;
    if (limit === undefined) return null;
    const now = this.now();
    const bucket = this.buckets.get(apiKey) ?? { user, tokens: limit.burst, refilledAt: now, allowed: 0, limited: 0 };
    this.buckets.set(apiKey, bucket);
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.refilledAt) / 1000) * limit.requestsPerSecond);
    bucket.refilledAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.allowed += 1;
      return null;
    }
    bucket.limited += 1;
    return { retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.requestsPerSecond)) };
  }

  status(): RateLimitStatus | Record<string, never> {
    if (this.limit === undefined) return {};
    return { ...this.limit, buckets: [...this.buckets.values()].map(({ user, allowed, limited }) => ({ user, allowed, limited })) };
  }
}

/** 429 with the bucket's Retry-After when the key's requests exceed the limit; the request has no effect. */
export function enforceRateLimit(limiter: RateLimiter, request: FastifyRequest, caller: { apiKey: string; iamid: string; userid: string }): void {
  const refusal = limiter.take(caller.apiKey, `${caller.iamid}/${caller.userid}`);
  if (refusal === null) return;
  request.fault = "rateLimit";
  throw new HttpError(429, "Rate limit exceeded", { "retry-after": String(refusal.retryAfterSeconds) });
}
