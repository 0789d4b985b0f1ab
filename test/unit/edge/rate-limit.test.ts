import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchedLimiter, type SharedCounter } from '#edge/rate-limit';

/** The shared DynamoDB counter, in memory: ADD per window, the new total back; writes counted. */
function fakeCounter() {
  const totals = new Map<string, number>();
  let writes = 0;
  const add: SharedCounter = async (who, count, windowStart) => {
    writes += 1;
    const key = `${who}#${windowStart}`;
    const total = (totals.get(key) ?? 0) + count;
    totals.set(key, total);
    return total;
  };
  return { add, writes: () => writes };
}

const t0 = Date.UTC(2026, 11, 7, 12, 0, 0); // the start of a minute window

async function hits(limiter: BatchedLimiter, n: number, limit: number, now = t0): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push((await limiter.hit('key:k', limit, now)).allowed);
  return out;
}

describe('BatchedLimiter on one container', () => {
  it('allows exactly `limit` hits and refuses the next, whatever the batch size', async () => {
    for (const [limit, flushEvery] of [
      [3, 10],
      [6, 10],
      [25, 10],
      [30, 10],
      [1, 1],
      [5, 1],
      [12, 5],
    ] as const) {
      const limiter = new BatchedLimiter(fakeCounter().add, flushEvery);
      const answers = await hits(limiter, limit + 3, limit);
      expect(answers.slice(0, limit)).toEqual(Array(limit).fill(true));
      expect(answers.slice(limit)).toEqual([false, false, false]);
    }
  });

  it('writes once per `flushEvery` hits, and not at all once it knows the window is spent', async () => {
    const counter = fakeCounter();
    const limiter = new BatchedLimiter(counter.add, 10);
    await hits(limiter, 95, 600);
    expect(counter.writes()).toBe(9);
    const spent = fakeCounter();
    const flooded = new BatchedLimiter(spent.add, 10);
    await hits(flooded, 5, 5);
    const writesAtLimit = spent.writes();
    expect(await hits(flooded, 1000, 5)).toEqual(Array(1000).fill(false));
    expect(spent.writes()).toBe(writesAtLimit);
  });

  it('answers the seconds left in the window with a refusal, and starts afresh in the next window', async () => {
    const limiter = new BatchedLimiter(fakeCounter().add, 10);
    await hits(limiter, 2, 2);
    const refused = await limiter.hit('key:k', 2, t0 + 45_000);
    expect(refused).toEqual({ allowed: false, retryAfter: 15 });
    expect(await hits(limiter, 3, 2, t0 + 60_000)).toEqual([true, true, false]);
  });

  it('counts callers apart', async () => {
    const limiter = new BatchedLimiter(fakeCounter().add, 10);
    expect((await limiter.hit('key:a', 1, t0)).allowed).toBe(true);
    expect((await limiter.hit('key:a', 1, t0)).allowed).toBe(false);
    expect((await limiter.hit('key:b', 1, t0)).allowed).toBe(true);
  });

  it('keeps the hits of a failed flush and adds them with the next one', async () => {
    const counter = fakeCounter();
    let failNext = true;
    const flaky: SharedCounter = async (who, count, windowStart) => {
      if (failNext) {
        failNext = false;
        throw new Error('throttled');
      }
      return counter.add(who, count, windowStart);
    };
    const limiter = new BatchedLimiter(flaky, 3);
    await hits(limiter, 2, 100);
    await expect(limiter.hit('key:k', 100, t0)).rejects.toThrow('throttled');
    await limiter.hit('key:k', 100, t0);
    // The three hits before the failure and the one after it, in one ADD.
    const probe = await counter.add('key:k', 0, Math.floor(t0 / 60_000) * 60);
    expect(probe).toBe(4);
  });
});

describe('BatchedLimiter across containers sharing one counter', () => {
  const scenario = fc.record({
    limit: fc.integer({ min: 1, max: 60 }),
    flushEvery: fc.integer({ min: 1, max: 12 }),
    containers: fc.integer({ min: 1, max: 6 }),
    order: fc.array(fc.nat(), { maxLength: 250 }),
  });

  it('admits at most limit + containers × (flushEvery − 1) hits in a window', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ limit, flushEvery, containers, order }) => {
        const counter = fakeCounter();
        const fleet = Array.from({ length: containers }, () => new BatchedLimiter(counter.add, flushEvery));
        let allowed = 0;
        for (const pick of order) {
          const limiter = fleet[pick % containers] as BatchedLimiter;
          if ((await limiter.hit('ip:203.0.113.7', limit, t0)).allowed) allowed += 1;
        }
        expect(allowed).toBeLessThanOrEqual(limit + containers * (flushEvery - 1));
        // Nobody is refused while the window's hits stay within the limit.
        expect(allowed).toBeGreaterThanOrEqual(Math.min(order.length, limit));
      }),
      { numRuns: 300 },
    );
  });

  it('admits exactly the limit when every container flushes every hit', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ limit, containers, order }) => {
        const counter = fakeCounter();
        const fleet = Array.from({ length: containers }, () => new BatchedLimiter(counter.add, 1));
        let allowed = 0;
        for (const pick of order) {
          if ((await (fleet[pick % containers] as BatchedLimiter).hit('who', limit, t0)).allowed)
            allowed += 1;
        }
        expect(allowed).toBe(Math.min(order.length, limit));
      }),
      { numRuns: 100 },
    );
  });
});
