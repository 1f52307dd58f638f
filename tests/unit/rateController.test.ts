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
  it("only the concurrency bounds the rate until Immuta refuses something", () => {
    const time = clock();
    const rates = new RateController(undefined, time.now);
    answers(rates, time, 500, 1_000);
    assert.equal(rates.current, undefined);
  });

  it("after a 429, drops to 90% of what Immuta let through in the second before, then climbs 5% of it per second to hold at 95%", () => {
    const time = clock();
    const rates = new RateController(undefined, time.now);
    answers(rates, time, 50, 1_000);

    rates.rateLimited();
    near(rates.current, 45, 0.5);
    answers(rates, time, 45, 1_000);
    near(rates.current, 47.5, 0.1);
    answers(rates, time, 470, 10_000);
    near(rates.current, 47.5, 0.01);
  });

  it("takes the 429s of one second for one signal", () => {
    const time = clock();
    const rates = new RateController(undefined, time.now);
    answers(rates, time, 50, 1_000);
    for (let i = 0; i < 8; i++) {
      rates.rateLimited();
      time.advance(10);
    }
    near(rates.current, 45, 0.5);
  });

  it("settles at a share of what Immuta let through, not at one request per second, when 429s come whatever the rate", () => {
    const time = clock();
    const rates = new RateController(undefined, time.now);
    answers(rates, time, 50, 1_000);
    const afterEachCut: number[] = [];
    for (let second = 0; second < 300; second++) {
      rates.rateLimited();
      afterEachCut.push(rates.current as number);
      answers(rates, time, Math.round(rates.current as number), 1_000);
    }
    // Each second cuts 10% of the rate and adds 5% of the 50 first let through: they balance at about a quarter of it.
    assert.ok(Math.min(...afterEachCut) >= 10, `fell to ${Math.min(...afterEachCut)}`);
  });

  it("never cuts below what it was going at times 90%, nor below one request per second", () => {
    const time = clock();
    const rates = new RateController(20, time.now);
    answers(rates, time, 100, 1_000);
    rates.rateLimited();
    assert.equal(rates.current, 18, "90% of its own rate, which is below what the last second carried");
    const idle = new RateController(20, time.now);
    time.advance(5_000);
    idle.rateLimited();
    assert.equal(idle.current, 1);
  });

  it("goes back to the ceiling, or to no limit, after 30 s without a 429", () => {
    const time = clock();
    const rates = new RateController(100, time.now);
    answers(rates, time, 50, 1_000);
    rates.rateLimited();
    answers(rates, time, 1_400, 29_000);
    near(rates.current, 47.5, 0.01);
    answers(rates, time, 100, 2_000);
    assert.equal(rates.current, 100);
  });

  it("takes a new ceiling at once", () => {
    const rates = new RateController(undefined, clock().now);
    rates.setCeiling(10);
    assert.equal(rates.current, 10);
    rates.setCeiling(undefined);
    assert.equal(rates.current, undefined);
  });
});
