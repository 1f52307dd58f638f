/**
 * One throttle per Immuta URL, shared by every request of a host process (every resource, both
 * kinds), as Octokit's throttling plugin shares one limiter group: at most maxConcurrency requests
 * in flight, spaced to the current rate; a 429 pauses them all until its Retry-After has passed,
 * then they resume at a reduced rate and speed up again step by step (additive increase,
 * multiplicative decrease). A request waiting in the queue, or backing off before a retry, holds
 * no concurrency slot. Bottleneck does the queueing and spacing.
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
/** What a 429 leaves of the rate. */
const DECREASE = 0.7;
/** Of the rate the throttle recovers to, what it gains per second without a 429. */
const INCREASE_PER_SECOND = 0.25;
/**
 * At most one decrease per second, as TCP decreases once per round trip: the 429s of requests that
 * were in flight together are one signal, not one each. Without it a steady trickle of 429s that
 * have nothing to do with the rate (a flaky gateway) would drive the rate to the floor.
 */
const DECREASE_GUARD_MS = 1_000;
/** How far back the rate that was going through is measured. */
const WINDOW_MS = 1_000;
/** Shortest span a rate is measured over, so that the first few answers do not read as a burst. */
const MIN_SPAN_MS = 100;

/**
 * The rate (requests per second) after each answer: cut to DECREASE of itself on a 429 (at most once
 * per DECREASE_GUARD_MS), raised again after each success so that it gains INCREASE_PER_SECOND of its
 * target per second, until it reaches the target: the ceiling, or with no ceiling the rate it had
 * before the first cut, when it goes back to being unlimited. Pure but for the clock it is given.
 */
export class RateController {
  private rate: number | undefined;
  private target: number | undefined;
  private decreasedAt = Number.NEGATIVE_INFINITY;
  private readonly completions: number[] = [];

  constructor(
    private ceiling: number | undefined,
    private readonly now: () => number,
  ) {
    this.rate = ceiling;
    this.target = ceiling;
  }

  /** Requests per second now; undefined when only the concurrency bounds them. */
  get current(): number | undefined {
    return this.rate;
  }

  setCeiling(ceiling: number | undefined): void {
    this.ceiling = ceiling;
    this.target = ceiling;
    this.rate = ceiling;
  }

  /** A 429: the rate, or what was going through, cut by DECREASE. */
  rateLimited(): void {
    const now = this.now();
    if (now - this.decreasedAt < DECREASE_GUARD_MS) return;
    this.decreasedAt = now;
    const going = this.rate ?? this.measured(now);
    this.target ??= going;
    this.rate = Math.max(MIN_RATE, going * DECREASE);
  }

  /** Any answer that is not a 429. */
  answered(): void {
    const now = this.now();
    this.completions.push(now);
    this.forgetBefore(now - WINDOW_MS);
    if (this.rate === undefined || this.target === undefined) return;
    // At rate r, r answers come in a second: each adds its share of a second's increase.
    this.rate += (this.target * INCREASE_PER_SECOND) / this.rate;
    if (this.rate >= this.target) {
      this.rate = this.ceiling;
      this.target = this.ceiling;
    }
  }

  /** Answers per second over the last WINDOW_MS (or since the first, if that is more recent). */
  private measured(now: number): number {
    this.forgetBefore(now - WINDOW_MS);
    const oldest = this.completions[0];
    if (oldest === undefined) return MIN_RATE;
    return Math.max(MIN_RATE, (this.completions.length * 1000) / Math.max(MIN_SPAN_MS, now - oldest));
  }

  private forgetBefore(time: number): void {
    while (this.completions.length > 0 && (this.completions[0] as number) < time) this.completions.shift();
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
