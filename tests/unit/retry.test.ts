import { strict as assert } from "node:assert";
import { DEFAULT_TIMING, parseRetryAfter, runAttempts, type Attempt, type RetryableFailure, type RetryTiming } from "../../provider/retry";

class Failed extends Error implements RetryableFailure {
  constructor(
    readonly status?: number,
    readonly networkCode?: string,
    readonly retryAfterMs?: number,
  ) {
    super(`failed with ${status ?? networkCode}`);
  }
}

/** A clock that moves only when the loop sleeps, recording each wait; jitter at its maximum. */
function fakeTiming(overrides: Partial<RetryTiming> = {}): RetryTiming & { readonly waits: number[] } {
  let now = 0;
  const waits: number[] = [];
  return {
    ...DEFAULT_TIMING,
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
    random: () => 0.5,
    ...overrides,
    waits,
  };
}

/** Runs attempts that fail with `failures` in turn, then succeed; returns what each attempt was told and the outcome. */
async function run(failures: Failed[], maxRetries: number, timing = fakeTiming()) {
  const attempts: Attempt[] = [];
  const outcome = await runAttempts({ maxRetries, timing }, (e) => (e instanceof Failed ? e : undefined), async (attempt) => {
    attempts.push(attempt);
    const failure = failures[attempt.number - 1];
    if (failure) throw failure;
    return "done";
  }).catch((error: unknown) => error);
  return { attempts, outcome, waits: timing.waits };
}

describe("retrying", () => {
  it("backs off exponentially with up to 20% jitter, honouring a longer Retry-After", async () => {
    const { outcome, waits } = await run([new Failed(503), new Failed(429, undefined, 5_000), new Failed(undefined, "ECONNRESET"), new Failed(504)], 6);
    assert.equal(outcome, "done");
    assert.deepEqual(waits, [275, 5_500, 1_100, 2_200]);
  });

  it("tells each attempt its number and whether an earlier one may have taken effect", async () => {
    const { attempts } = await run([new Failed(503), new Failed(502), new Failed(429)], 6);
    assert.deepEqual(attempts, [
      { number: 1, earlierMayHaveTakenEffect: false },
      { number: 2, earlierMayHaveTakenEffect: false },
      { number: 3, earlierMayHaveTakenEffect: true },
      { number: 4, earlierMayHaveTakenEffect: true },
    ]);
  });

  it("throws the last failure once maxRetries retries are spent", async () => {
    const last = new Failed(429);
    const { outcome, attempts } = await run([new Failed(429), new Failed(429), last], 2);
    assert.equal(outcome, last);
    assert.equal(attempts.length, 3);
  });

  it("starts no retry that would begin after the window", async () => {
    const last = new Failed(429, undefined, 70_000);
    const { outcome, waits } = await run([new Failed(429, undefined, 60_000), last, new Failed(429)], 6, fakeTiming({ random: () => 0 }));
    assert.equal(outcome, last);
    assert.deepEqual(waits, [60_000]);
  });

  it("does not retry what is not worth it: other statuses, unknown network failures, other errors", async () => {
    for (const failure of [new Failed(400), new Failed(401), new Failed(409), new Failed(500), new Failed(undefined, undefined)]) {
      const { outcome, attempts } = await run([failure], 6);
      assert.equal(outcome, failure);
      assert.equal(attempts.length, 1);
    }
  });

  it("does not retry again what an inner loop already gave up on, so nested retries never multiply", async () => {
    const timing = fakeTiming();
    let inner = 0;
    const outcome = await runAttempts({ maxRetries: 6, timing }, (e) => (e instanceof Failed ? e : undefined), () =>
      runAttempts({ maxRetries: 2, timing }, (e) => (e instanceof Failed ? e : undefined), async () => {
        inner += 1;
        throw new Failed(429);
      }),
    ).catch((error: unknown) => error);
    assert.ok(outcome instanceof Failed);
    assert.equal(inner, 3);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-12-03T10:00:00Z");
    assert.deepEqual(
      ["2", "0", "Thu, 03 Dec 2026 10:00:30 GMT", "Thu, 03 Dec 2026 09:00:00 GMT", "soon", "", undefined].map((header) => parseRetryAfter(header, now)),
      [2_000, 0, 30_000, 0, undefined, undefined, undefined],
    );
  });
});
