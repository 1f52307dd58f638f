import { z } from "zod";

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
  methods: z.array(z.string().min(1)).optional(),
  pathPrefix: z.string().startsWith("/").optional(),
});

/** What PUT /__emulator/faults accepts: every field optional, rates 0..1. */
export type FaultConfig = z.input<typeof faultConfigSchema>;

export type FaultKind = "429" | "5xx" | "drop" | "lostAnswer" | "latency";

export interface FaultDecision {
  latencyMs: number;
  outcome: { kind: "drop" } | { kind: "lostAnswer" } | { kind: "429"; retryAfterSeconds: number } | { kind: "5xx"; status: number } | null;
}

const DEFAULT_STATUSES_5XX = [502, 503];

/** Decides, per request and before any handler runs, whether the request is delayed, refused, dropped, or carried out with its answer lost. */
export class FaultInjector {
  private config: z.output<typeof faultConfigSchema> = {};

  current(): FaultConfig {
    return this.config;
  }

  replace(config: z.output<typeof faultConfigSchema>): void {
    this.config = { ...config, ...(config.methods ? { methods: config.methods.map((method) => method.toUpperCase()) } : {}) };
  }

  clear(): void {
    this.config = {};
  }

  decide(method: string, path: string): FaultDecision | null {
    const { methods, pathPrefix } = this.config;
    if (methods !== undefined && !methods.includes(method.toUpperCase())) return null;
    if (pathPrefix !== undefined && !path.startsWith(pathPrefix)) return null;
    const latencyMs = this.config.latencyMs ?? 0;
    const outcome = this.drawOutcome();
    return latencyMs === 0 && outcome === null ? null : { latencyMs, outcome };
  }

  private drawOutcome(): FaultDecision["outcome"] {
    const { rateDrop = 0, rateLostAnswer = 0, rate429 = 0, rate5xx = 0 } = this.config;
    if (Math.random() < rateDrop) return { kind: "drop" };
    if (Math.random() < rateLostAnswer) return { kind: "lostAnswer" };
    if (Math.random() < rate429) return { kind: "429", retryAfterSeconds: this.config.retryAfterSeconds ?? 1 };
    if (Math.random() < rate5xx) {
      const statuses = this.config.statuses5xx ?? DEFAULT_STATUSES_5XX;
      return { kind: "5xx", status: statuses[Math.floor(Math.random() * statuses.length)] ?? 503 };
    }
    return null;
  }
}
