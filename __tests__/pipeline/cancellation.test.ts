import { CancelledError } from '../../src/contract/errors.js';
import { Cancellation } from '../../src/pipeline/cancellation.js';

describe('Cancellation', () => {
  it('aborts with a CancelledError naming the cause, once', () => {
    const messages: string[] = [];
    const c = new Cancellation(1000, (m) => messages.push(m));
    c.cancel('cancelled by SIGINT');
    c.cancel('cancelled by SIGTERM');
    expect(c.signal.aborted).toBe(true);
    expect(c.signal.reason).toBeInstanceOf(CancelledError);
    expect((c.signal.reason as Error).message).toBe('cancelled by SIGINT');
    expect(messages).toEqual(['cancelled by SIGINT']);
    // As the action does, end with `race`: it clears the grace timer, which would hold the worker open.
    return c.race(Promise.resolve());
  });

  it('tells what is left of a time limit counted from the first signal', async () => {
    const c = new Cancellation(1000);
    expect(c.timeLeft(5000)).toBe(Infinity);
    c.cancel('cancelled by SIGINT');
    const left = c.timeLeft(5000);
    expect(left).toBeLessThanOrEqual(5000);
    expect(left).toBeGreaterThan(4000);
    // A second signal does not restart the clock.
    c.cancel('cancelled by SIGTERM');
    expect(c.timeLeft(5000)).toBeLessThanOrEqual(left);
    expect(c.timeLeft(0)).toBe(0);
    return c.race(Promise.resolve());
  });

  it('gives the work its value when it finishes in time', async () => {
    const c = new Cancellation(1000);
    await expect(c.race(Promise.resolve(42))).resolves.toBe(42);
  });

  it('stops waiting after the grace period once cancelled', async () => {
    const c = new Cancellation(50);
    const never = new Promise<number>(() => {});
    const started = Date.now();
    const raced = c.race(never);
    c.cancel('cancelled by SIGTERM');
    await expect(raced).resolves.toBeUndefined();
    // Without the grace period it would wait forever; 5 s leaves a loaded machine room.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('stops waiting at once on a second signal', async () => {
    const c = new Cancellation(60_000);
    const raced = c.race(new Promise<number>(() => {}));
    c.cancel('cancelled by SIGINT');
    c.cancel('cancelled by SIGTERM');
    await expect(raced).resolves.toBeUndefined();
  });

  it('a late rejection of abandoned work is not unhandled', async () => {
    const c = new Cancellation(10);
    let reject: (e: Error) => void = () => {};
    const work = new Promise<number>((_, r) => (reject = r));
    const raced = c.race(work);
    c.cancel('cancelled by SIGINT');
    await raced;
    reject(new Error('late'));
    await new Promise((r) => setTimeout(r, 20));
  });
});
