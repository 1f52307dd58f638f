import crypto from "node:crypto";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import { z } from "zod";
import type { FaultConfig } from "../types";

const rate = z.number().min(0).max(1);

export const faultConfigSchema = z.strictObject({
  latencyMs: z.int().min(0).max(60_000).optional(),
  rate429: rate.optional(),
  retryAfterSeconds: z.int().min(0).max(3600).optional(),
  rate5xx: rate.optional(),
  statuses5xx: z.array(z.int().min(500).max(599)).min(1).optional(),
  rateDrop: rate.optional(),
  /** The request is carried out, then its connection is cut before the answer: the client cannot tell whether it took effect. */
  rateLostAnswer: rate.optional(),
  /** The request is held `lateAnswerMs`, by when its client has given up, and is then carried out all the same. */
  rateLateAnswer: rate.optional(),
  lateAnswerMs: z.int().min(0).max(600_000).optional(),
  /** Makes the random choices repeatable: the same seed and the same sequence of requests give the same faults. */
  seed: z.int().optional(),
  methods: z.array(z.string().min(1)).optional(),
  pathPrefix: z.string().startsWith("/").optional(),
});

export type { FaultConfig, FaultKind } from "../types";

/** What a request log entry's `fault` says happened to the request; `rateLimit` is the rate limiter's refusal, not an injected fault. */

export type FaultOutcome =
  | { kind: "drop" }
  | { kind: "lostAnswer" }
  | { kind: "lateAnswer"; delayMs: number }
  | { kind: "429"; retryAfterSeconds: number }
  | { kind: "5xx"; status: number };

export interface FaultDecision {
  latencyMs: number;
  outcome: FaultOutcome | null;
}

const DEFAULT_STATUSES_5XX = [502, 503];
const DEFAULT_LATE_ANSWER_MS = 5_000;

/** Decides, per request and before any handler runs, whether the request is delayed, refused, dropped, or carried out with its answer lost or late. */
export class FaultInjector {
  private config: z.output<typeof faultConfigSchema> = {};
  private random: RandomGenerator = unseeded();

  current(): FaultConfig {
    return this.config;
  }

  replace(config: z.output<typeof faultConfigSchema>): void {
    this.config = { ...config, ...(config.methods ? { methods: config.methods.map((method) => method.toUpperCase()) } : {}) };
    this.random = config.seed === undefined ? unseeded() : xoroshiro128plus(config.seed);
  }

  clear(): void {
    this.replace({});
  }

  decide(method: string, path: string): FaultDecision | null {
    const { methods, pathPrefix } = this.config;
    if (methods !== undefined && !methods.includes(method.toUpperCase())) return null;
    if (pathPrefix !== undefined && !path.startsWith(pathPrefix)) return null;
    const latencyMs = this.config.latencyMs ?? 0;
    const outcome = this.drawOutcome();
    return latencyMs === 0 && outcome === null ? null : { latencyMs, outcome };
  }

  private drawOutcome(): FaultOutcome | null {
    const { rateDrop = 0, rateLostAnswer = 0, rateLateAnswer = 0, rate429 = 0, rate5xx = 0 } = this.config;
    if (this.chance(rateDrop)) return { kind: "drop" };
    if (this.chance(rateLostAnswer)) return { kind: "lostAnswer" };
    if (this.chance(rateLateAnswer)) return { kind: "lateAnswer", delayMs: this.config.lateAnswerMs ?? DEFAULT_LATE_ANSWER_MS };
    if (this.chance(rate429)) return { kind: "429", retryAfterSeconds: this.config.retryAfterSeconds ?? 1 };
    if (this.chance(rate5xx)) {
      const statuses = this.config.statuses5xx ?? DEFAULT_STATUSES_5XX;
      return { kind: "5xx", status: statuses[uniformInt(this.random, 0, statuses.length - 1)] ?? 503 };
    }
    return null;
  }

  /** A rate of 0 draws nothing, so configuring a fault kind off leaves the sequence of the others unchanged. */
  private chance(rate: number): boolean {
    return rate > 0 && uniformFloat64(this.random) < rate;
  }
}

function unseeded(): RandomGenerator {
  return xoroshiro128plus(crypto.randomInt(2 ** 31));
}
