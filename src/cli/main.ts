import { readFileSync } from 'node:fs';
import type { Cancellation } from '../cancellation.js';
import { BoereworsError, errorMessage } from '../contract/errors.js';
import { findConfigFile, loadConfig } from '../config/index.js';
import { checkConfigFiles, missingUploadSources } from '../preflight.js';
import { executeRelease, prepareRelease } from '../release.js';
import { ConsoleReporter, type ConsoleOutput } from '../report/console.js';
import { writeJsonReport } from '../report/json.js';
import { PartialReport } from '../report/partial-report.js';
import { parseCli, USAGE } from './args.js';

export const EXIT = { success: 0, failure: 1, usage: 2, cancelled: 130 } as const;

export interface CliIO {
  stdout: ConsoleOutput;
  stderr: ConsoleOutput;
  cwd: string;
  /** Cancels the run (the entrypoint wires SIGINT/SIGTERM to it) and bounds the wait after a cancel. */
  cancellation: Cancellation;
}

/** The whole CLI as a function: argv in, exit code out. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    const command = parseCli(argv);
    switch (command.kind) {
      case 'help':
        io.stdout.write(`${USAGE}\n`);
        return EXIT.success;
      case 'version':
        io.stdout.write(`${packageVersion()}\n`);
        return EXIT.success;
      case 'validate': {
        const file = command.configPath ?? (await findConfigFile(io.cwd));
        const config = await loadConfig(file, { cwd: io.cwd });
        await checkConfigFiles(config);
        const names = config.runners.map((r) => r.name).join(', ');
        io.stdout.write(`${file}: valid · runners: ${names || '(none)'}\n`);
        for (const warning of await missingUploadSources(config, io.cwd)) {
          io.stderr.write(`boerewors: warning: ${warning}\n`);
        }
        return EXIT.success;
      }
      case 'run': {
        const { settings } = command;
        const prepared = await prepareRelease(settings, io.cwd);
        const reporter = new ConsoleReporter(io.stdout, command.verbose, { dryRun: settings.dryRun });
        const partial = new PartialReport(prepared.runner.name);
        const { cancellation } = io;
        const running = executeRelease(settings, prepared, {
          signal: cancellation.signal,
          onEvent: (e) => {
            partial.onEvent(e);
            reporter.onEvent(e);
          },
        });
        let report = await cancellation.race(running);
        if (report === undefined) {
          // Cancelled, and the engine did not return in time (or a second signal came): report
          // what the events tell, and end the log the way a finished run ends it.
          report = partial.snapshot(cancelMessage(cancellation.signal));
          reporter.onEvent({ type: 'run-end', report });
        }
        if (settings.reportPath)
          await writeJsonReport(settings.reportPath, report, { dryRun: settings.dryRun });
        return report.result === 'success'
          ? EXIT.success
          : report.result === 'cancelled'
            ? EXIT.cancelled
            : EXIT.failure;
      }
    }
  } catch (e) {
    const usage = e instanceof BoereworsError && (e.kind === 'usage' || e.kind === 'config');
    io.stderr.write(`boerewors: ${errorMessage(e)}\n`);
    if (usage && e.kind === 'usage') io.stderr.write(`Run "boerewors --help" for usage.\n`);
    return usage ? EXIT.usage : EXIT.failure;
  }
}

function cancelMessage(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : 'cancelled';
}

function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}
