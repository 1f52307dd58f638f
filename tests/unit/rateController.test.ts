// The throttle's rate after each answer (additive increase, multiplicative decrease), on a clock the
// test moves by hand.
import { strict as assert } from "node:assert";
import { RateController } from "../../provider/immuta/throttle";

function clock(): { now: () => number; advance: (ms: number) => void } {
  let time = 0;
  return { now: () => time, advance: (ms) => (time += ms) };
}

/** `count` answers evenly spread over `ms`. */
function answers(rates: RateController, time: ReturnType<typeof clock>, count: number, ms: number): void {
  for (let i = 0; i < count; i++) {
    time.advance(ms / count);
    rates.answered();
  }
}

const near = (actual: number | undefined, expected: number, tolerance: number) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected} ± ${tolerance}`);

describe("the throttle's rate controller", () => {
  it("cuts a ceiling to 70% on a 429, then gains a quarter of it per second back to the ceiling, never above", () => {
    const time = clock();
    const rates = new RateController(40, time.now);
    assert.equal(rates.current, 40);

    rates.rateLimited();
    assert.equal(rates.current, 28);

    // A second at 28 requests per second brings it up by about 10 (a little less: each answer adds less as it speeds up).
    answers(rates, time, 28, 1_000);
    near(rates.current, 37, 1);
    answers(rates, time, 100, 5_000);
    assert.equal(rates.current, 40);
  });

  it("takes the 429s of one burst for one signal: at most one cut per second", () => {
    const time = clock();
    const rates = new RateController(40, time.now);
    for (let i = 0; i < 8; i++) {
      rates.rateLimited();
      time.advance(10);
    }
    assert.equal(rates.current, 28);
    time.advance(1_000);
    rates.rateLimited();
    near(rates.current, 28 * 0.7, 0.01);
  });

  it("without a ceiling, cuts what was going through, and becomes unlimited again once it has recovered", () => {
    const time = clock();
    const rates = new RateController(undefined, time.now);
    answers(rates, time, 100, 500);
    assert.equal(rates.current, undefined, "only the concurrency bounds it until a 429");

    // About 200 answers per second were going through.
    rates.rateLimited();
    near(rates.current, 140, 2);
    answers(rates, time, 600, 3_000);
    assert.equal(rates.current, undefined);
  });

  it("never goes below one request per second", () => {
    const time = clock();
    const rates = new RateController(1.2, time.now);
    for (let i = 0; i < 4; i++) {
      rates.rateLimited();
      time.advance(1_000);
    }
    assert.equal(rates.current, 1);
  });

  it("takes a new ceiling at once", () => {
    const rates = new RateController(undefined, clock().now);
    rates.setCeiling(10);
    assert.equal(rates.current, 10);
    rates.setCeiling(undefined);
    assert.equal(rates.current, undefined);
  });
});
