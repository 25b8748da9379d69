import type { BenchContext } from '../context.js';

/**
 * One unmeasured warm-up (`warm`, or a run of `once`), then `ctx.args.reps` measured repetitions,
 * logged as they finish.
 */
export async function warmThenRepeat<T>(
  ctx: BenchContext,
  name: string,
  once: () => Promise<T>,
  describe: (result: T) => string,
  warm: () => Promise<unknown> = once,
): Promise<T[]> {
  ctx.log(`${name}: warm-up`);
  await warm();
  const results: T[] = [];
  for (let rep = 1; rep <= ctx.args.reps; rep++) {
    const r = await once();
    results.push(r);
    ctx.log(`${name} rep ${rep}/${ctx.args.reps}: ${describe(r)}`);
  }
  return results;
}
