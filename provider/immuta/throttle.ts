/**
 * One throttle per Immuta URL, shared by every request of a host process (every resource, both
 * kinds), as Octokit's throttling plugin shares one limiter group: at most maxConcurrency requests
 * in flight, spaced to the current rate; a 429 pauses them all until its Retry-After has passed,
 * then they resume just under what Immuta let through and speed up again step by step (additive
 * increase, multiplicative decrease; see RateController). A request waiting in the queue, or
 * backing off before a retry, holds no concurrency slot. Bottleneck does the queueing and spacing.
 */
import Bottleneck from "bottleneck";

export interface ThrottleSettings {
  readonly maxConcurrency: number;
  /** A ceiling the rate never exceeds (immuta:maxRequestsPerSecond); absent: only the concurrency bounds it. */
  readonly maxRequestsPerSecond?: number;
}

/** How long everyone waits after a 429 that names no Retry-After. */
const DEFAULT_PAUSE_MS = 1_000;
/** The slowest the throttle ever goes, so that it always comes back. */
const MIN_RATE = 1;
/** After a 429, the rate is this much of what Immuta let through in the second before. */
const DECREASE = 0.9;
/** It then climbs again, by this much of that rate per second ... */
const INCREASE_PER_SECOND = 0.05;
/** ... to hold just under it, where a token bucket refuses nothing. */
const HOLD = 0.95;
/** A second of 429s is one signal (as TCP decreases once per round trip), not one cut each. */
const DECREASE_GUARD_MS = 1_000;
/** This long without a 429, the limit is taken to be gone: back to the ceiling, or to no limit. */
const CALM_MS = 30_000;
/** How far back what Immuta let through is measured. */
const WINDOW_MS = 1_000;
/** Shortest span a rate is measured over, so that the first few answers do not read as a burst. */
const MIN_SPAN_MS = 100;

/**
 * The rate (requests per second) after each answer. A 429 says Immuta admits about what it answered
 * in the last second: the rate drops to DECREASE of that (at most once per DECREASE_GUARD_MS), then
 * climbs by INCREASE_PER_SECOND of the most Immuta has admitted per second to HOLD of it, and stays
 * there until CALM_MS pass without a 429, when it goes back to the ceiling
 * (immuta:maxRequestsPerSecond) or to no limit but the concurrency. Additive increase, multiplicative
 * decrease. The increase and the hold are measured against the most admitted, not the latest, so
 * that 429s that come whatever the rate (a proxy's, a fault) settle the rate at a share of it instead
 * of wearing it down to MIN_RATE. Pure but for the clock it is given.
 */
export class RateController {
  private rate: number | undefined;
  /** The most Immuta let through in the second before a 429 since the last calm; undefined while nothing was refused. */
  private admitted: number | undefined;
  private limitedAt = Number.NEGATIVE_INFINITY;
  private readonly successes: number[] = [];
  private readonly startedAt: number;

  constructor(
    private ceiling: number | undefined,
    private readonly now: () => number,
  ) {
    this.rate = ceiling;
    this.startedAt = now();
  }

  /** Requests per second now; undefined when only the concurrency bounds them. */
  get current(): number | undefined {
    return this.rate;
  }

  setCeiling(ceiling: number | undefined): void {
    this.ceiling = ceiling;
    this.admitted = undefined;
    this.rate = ceiling;
  }

  /** A 429. */
  rateLimited(): void {
    const now = this.now();
    if (now - this.limitedAt < DECREASE_GUARD_MS) return;
    this.limitedAt = now;
    const admitted = this.measured(now);
    this.admitted = Math.max(this.admitted ?? 0, admitted);
    this.rate = Math.max(MIN_RATE, DECREASE * Math.min(this.rate ?? Number.POSITIVE_INFINITY, admitted));
  }

  /** Any answer that is not a 429. */
  answered(): void {
    const now = this.now();
    this.successes.push(now);
    this.forgetBefore(now - WINDOW_MS);
    if (this.admitted === undefined || this.rate === undefined) return;
    if (now - this.limitedAt >= CALM_MS) {
      this.admitted = undefined;
      this.rate = this.ceiling;
      return;
    }
    // At rate r, r answers come in a second: each adds its share of a second's increase.
    this.rate = Math.min(HOLD * this.admitted, this.rate + (INCREASE_PER_SECOND * this.admitted) / this.rate);
  }

  /** Answers per second over the last WINDOW_MS (or since this controller started, if that is more recent). */
  private measured(now: number): number {
    this.forgetBefore(now - WINDOW_MS);
    const span = Math.max(MIN_SPAN_MS, Math.min(WINDOW_MS, now - this.startedAt));
    return Math.max(MIN_RATE, (this.successes.length * 1000) / span);
  }

  private forgetBefore(time: number): void {
    while (this.successes.length > 0 && (this.successes[0] as number) < time) this.successes.shift();
  }
}

export class Throttle {
  private readonly limiter: Bottleneck;
  private readonly rates: RateController;
  private resumeAt = 0;
  /** The minTime Bottleneck has now. */
  private spacing: number;
  private resumeTimer: NodeJS.Timeout | undefined;

  constructor(
    private settings: ThrottleSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.rates = new RateController(settings.maxRequestsPerSecond, now);
    this.spacing = minTime(this.rates.current);
    this.limiter = new Bottleneck({ maxConcurrent: settings.maxConcurrency, minTime: this.spacing });
  }

  /** The latest settings of the stack; one deployment has one, so this changes nothing in practice. */
  configure(settings: ThrottleSettings): void {
    if (settings.maxConcurrency === this.settings.maxConcurrency && settings.maxRequestsPerSecond === this.settings.maxRequestsPerSecond) return;
    this.settings = settings;
    this.rates.setCeiling(settings.maxRequestsPerSecond);
    this.spacing = minTime(this.rates.current);
    this.limiter.updateSettings({ maxConcurrent: settings.maxConcurrency, minTime: this.spacing });
  }

  /** Runs one HTTP exchange when the throttle lets it, holding a slot while it is in flight. */
  schedule<T>(exchange: () => Promise<T>): Promise<T> {
    return this.limiter.schedule(exchange);
  }

  /** What Immuta answered: a 429 pauses everyone and cuts the rate; anything else counts towards speeding up. */
  answered(status: number, retryAfterMs: number | undefined): void {
    if (status === 429) {
      this.rates.rateLimited();
      this.pauseFor(retryAfterMs ?? DEFAULT_PAUSE_MS);
    } else {
      this.rates.answered();
    }
    this.applyRate();
  }

  /** Bottleneck's updateSettings yields and drains its queue: only when the spacing really changes. */
  private applyRate(): void {
    const spacing = minTime(this.rates.current);
    if (spacing === this.spacing) return;
    this.spacing = spacing;
    this.limiter.updateSettings({ minTime: spacing });
  }

  /** A reservoir of 0 holds every queued request (none holds a slot) until it is lifted. */
  private pauseFor(ms: number): void {
    const until = this.now() + ms;
    if (until <= this.resumeAt) return;
    this.resumeAt = until;
    this.limiter.updateSettings({ reservoir: 0 });
    clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => this.limiter.updateSettings({ reservoir: null }), ms);
    // A pause must not keep a finished host process alive.
    this.resumeTimer.unref();
  }
}

function minTime(rate: number | undefined): number {
  return rate === undefined ? 0 : Math.ceil(1000 / rate);
}

const throttles = new Map<string, Throttle>();

/** The one throttle for the Immuta at `url` in this process. */
export function throttleFor(url: string, settings: ThrottleSettings): Throttle {
  let throttle = throttles.get(url);
  if (throttle === undefined) {
    throttle = new Throttle(settings);
    throttles.set(url, throttle);
  } else {
    throttle.configure(settings);
  }
  return throttle;
}
