import type { Amount } from '../model/stage.js';

/**
 * Counts a stage's failed jobs against `max-failures`. The stage fails when failures *exceed* the
 * allowance; from then on no new job of it starts.
 */
export class FailureBudget {
  readonly allowed: number;
  readonly #failedHosts: string[] = [];

  constructor(
    private readonly maxFailures: Amount,
    private readonly jobCount: number,
  ) {
    this.allowed = failureAllowance(maxFailures, jobCount);
  }

  recordFailure(host: string): void {
    this.#failedHosts.push(host);
  }

  get failures(): number {
    return this.#failedHosts.length;
  }

  get exceeded(): boolean {
    return this.failures > this.allowed;
  }

  /** `3 of 10 jobs failed (max-failures 10% allows 1): web-2, web-5, web-7` */
  describe(): string {
    const shown = this.#failedHosts.slice(0, 5).join(', ');
    const more = this.#failedHosts.length > 5 ? `, … ${this.#failedHosts.length - 5} more` : '';
    const rule =
      typeof this.maxFailures === 'number'
        ? `max-failures ${this.allowed}`
        : `max-failures ${formatAmount(this.maxFailures)} allows ${this.allowed}`;
    return `${this.failures} of ${this.jobCount} jobs failed (${rule}): ${shown}${more}`;
  }
}

/** Failures the stage tolerates: a count, or a share of its jobs rounded down. */
export function failureAllowance(maxFailures: Amount, jobCount: number): number {
  return typeof maxFailures === 'number' ? maxFailures : Math.floor((maxFailures.percent * jobCount) / 100);
}

/** `2`, `25%`: how an Amount reads in the config, for messages. */
export function formatAmount(amount: Amount): string {
  return typeof amount === 'number' ? String(amount) : `${amount.percent}%`;
}
