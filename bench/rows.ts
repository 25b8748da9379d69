import { summarize, type Summary } from './stats.js';

/** A target on the median: `<=` for costs, `>=` for throughputs. */
export interface Target {
  readonly op: '<=' | '<' | '>=';
  readonly value: number;
}

/** One line of the results table: a metric measured once per repetition. */
export interface Row {
  readonly case: string;
  readonly metric: string;
  /** `s`, `ms`, `x` (a ratio), `MB`, `MiB/s`, `count`, `CPU s`. */
  readonly unit: string;
  /** One value per measured repetition. */
  readonly values: readonly number[];
  readonly summary: Summary;
  readonly target?: Target;
  /** `pass` / `miss` against the target; undefined without a target or in a smoke run. */
  readonly verdict?: 'pass' | 'miss';
  /** Which statistic the target applies to. Default: the median; a hard limit uses the max. */
  readonly judgeOn?: 'median' | 'max';
  readonly note?: string;
}

export function row(
  spec: {
    case: string;
    metric: string;
    unit: string;
    target?: Target;
    judgeOn?: 'median' | 'max';
    note?: string;
  },
  values: readonly number[],
  checkTargets: boolean,
): Row {
  const summary = summarize(values);
  const verdict =
    spec.target && checkTargets && values.length > 0
      ? judge(spec.judgeOn === 'max' ? summary.max : summary.median, spec.target)
      : undefined;
  return { ...spec, values, summary, ...(verdict ? { verdict } : {}) };
}

function judge(value: number, target: Target): 'pass' | 'miss' {
  const ok =
    target.op === '<='
      ? value <= target.value
      : target.op === '<'
        ? value < target.value
        : value >= target.value;
  return ok ? 'pass' : 'miss';
}
