/**
 * A finished report told as the events of a run, so the log reporters (console, GitHub log and
 * annotations) can tell a report they did not watch, such as one merged from the parts of a
 * sharded release: each stage with its hosts, a failed job's last output (what the report kept of
 * it) and its last line, each stage's result line.
 */
import type { EngineEvent } from '../engine/report/events.js';
import type { RunReport } from '../engine/report/report.js';

export function replayReport(report: RunReport): EngineEvent[] {
  const total = report.stages.length;
  const events: EngineEvent[] = [
    {
      type: 'run-start',
      runner: report.runner,
      release: report.release,
      startedAt: report.startedAt,
      stageCount: total,
      ...(report.part ? { part: report.part } : {}),
    },
  ];
  report.stages.forEach((stage, i) => {
    const index = i + 1;
    events.push({
      type: 'stage-start',
      stage: stage.name,
      index,
      total,
      hosts: stage.jobs.map((j) => j.host),
      canary: stage.canary,
      when: stage.when ?? 'success',
      gate: stage.gate ?? false,
      waves: (stage.waves ?? []).map((w) => w.hosts.length),
    });
    for (const job of stage.jobs) {
      if (job.result === 'failure') {
        for (const line of job.outputTail.replace(/\n+$/, '').split('\n').filter(Boolean))
          events.push({ type: 'output', stage: stage.name, host: job.host, stream: 'stdout', line });
      }
      events.push({ type: 'job-end', stage: stage.name, job });
    }
    events.push({ type: 'stage-end', stage, index, total });
  });
  events.push({ type: 'run-end', report });
  return events;
}
