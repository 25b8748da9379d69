import { abortReason, cancelMessage, settleOnce, sleep, untilAborted } from '../../src/contract/abort.js';
import { CancelledError } from '../../src/contract/errors.js';

/** A promise that never settles: the work a signal must be able to walk away from. */
const never = <T>(): Promise<T> => new Promise<T>(() => {});

describe('abortReason and cancelMessage', () => {
  it('take the reason the signal was aborted with', () => {
    const c = new AbortController();
    const reason = new CancelledError('cancelled by SIGTERM');
    c.abort(reason);
    expect(abortReason(c.signal)).toBe(reason);
    expect(cancelMessage(c.signal)).toBe('cancelled by SIGTERM');
  });

  it('fall back to a plain cancel when the reason is not an error', () => {
    const c = new AbortController();
    c.abort('stop');
    expect(cancelMessage(c.signal)).toBe('cancelled');
    expect(abortReason(c.signal)).toBe('stop');
    expect(cancelMessage(new AbortController().signal)).toBe('cancelled');
  });
});

describe('untilAborted', () => {
  it('settles like the promise while the signal stays quiet', async () => {
    const c = new AbortController();
    await expect(untilAborted(Promise.resolve(7), c.signal)).resolves.toBe(7);
    await expect(untilAborted(Promise.reject(new Error('boom')), c.signal)).rejects.toThrow('boom');
  });

  it('rejects with the reason as soon as the signal aborts, though the promise never settles', async () => {
    const c = new AbortController();
    const waiting = untilAborted(never<number>(), c.signal);
    const reason = new CancelledError('cancelled by SIGINT');
    c.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });

  it('rejects at once for a signal already aborted, and swallows the late rejection', async () => {
    const c = new AbortController();
    c.abort(new CancelledError('cancelled'));
    let rejectLate: (e: Error) => void = () => {};
    const late = new Promise<number>((_, reject) => (rejectLate = reject));
    await expect(untilAborted(late, c.signal)).rejects.toBeInstanceOf(CancelledError);
    // Would be an unhandled rejection (and fail the test run) if nobody caught it.
    rejectLate(new Error('too late'));
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('is the promise itself without a signal', () => {
    const p = Promise.resolve(1);
    expect(untilAborted(p, undefined)).toBe(p);
  });
});

describe('sleep', () => {
  it('waits the time it is given', async () => {
    const t0 = performance.now();
    await sleep(30, new AbortController().signal);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('ends early with the reason when the signal aborts', async () => {
    const c = new AbortController();
    const t0 = performance.now();
    const waiting = sleep(60_000, c.signal);
    c.abort(new CancelledError('cancelled'));
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('does not start for a signal already aborted: rejects at once with its reason', async () => {
    const c = new AbortController();
    const reason = new CancelledError('cancelled before');
    c.abort(reason);
    const t0 = performance.now();
    const settled = await Promise.race([
      sleep(60_000, c.signal).then(
        () => 'resolved',
        (e: unknown) => e,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000).unref()),
    ]);
    expect(settled).toBe(reason);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});

describe('settleOnce', () => {
  it('lets only the first call settle, and cleans up once before it', async () => {
    const order: string[] = [];
    const p = new Promise<string>((resolve, reject) => {
      const settle = settleOnce<string>(resolve, reject, () => order.push('cleanup'));
      expect(settle.settled).toBe(false);
      settle.resolve('first');
      order.push('resolved');
      settle.reject(new Error('second'));
      settle.resolve('third');
      expect(settle.settled).toBe(true);
    });
    await expect(p).resolves.toBe('first');
    expect(order).toEqual(['cleanup', 'resolved']);
  });

  it('a rejection that comes first wins over a later success', async () => {
    let cleanups = 0;
    const p = new Promise<string>((resolve, reject) => {
      const settle = settleOnce<string>(resolve, reject, () => (cleanups += 1));
      settle.reject(new Error('timed out'));
      settle.resolve('ready');
    });
    await expect(p).rejects.toThrow('timed out');
    expect(cleanups).toBe(1);
  });
});
