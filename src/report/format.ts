/** Small text helpers shared by the console and GitHub reporters. */

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `Stage 2/3 · Distribute code · 12 hosts · canary web-1` */
export function stageTitle(e: {
  stage: string;
  index: number;
  total: number | null;
  hosts: readonly string[];
  canary: string | null;
}): string {
  const parts = [`Stage ${e.index}${e.total ? `/${e.total}` : ''}`, e.stage, plural(e.hosts.length, 'host')];
  if (e.canary) parts.push(`canary ${e.canary}`);
  return parts.join(' · ');
}

export interface Tally {
  done: number;
  failed: number;
  running: number;
  total: number;
}

/** `37/100 done · 2 failed · 10 running` */
export function progressLine(t: Tally): string {
  return `${t.done}/${t.total} done · ${t.failed} failed · ${t.running} running`;
}

/** `boerewors · runner deploy · release 20261128T010000Z`, with `DRY RUN` when nothing runs for real. */
export function runHeader(e: { runner: string; release: string }, dryRun: boolean): string {
  return ['boerewors', ...(dryRun ? ['DRY RUN'] : []), `runner ${e.runner}`, `release ${e.release}`].join(
    ' · ',
  );
}

/**
 * `Release success · runner deploy`; a dry run says `DRY RUN success (nothing was run)`, so its
 * every-host-succeeded log cannot pass for a release.
 */
export function runFooter(r: { result: string; runner: string }, dryRun: boolean): string {
  const what = dryRun ? `DRY RUN ${r.result} (nothing was run)` : `Release ${r.result}`;
  return `${what} · runner ${r.runner}`;
}
