import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errorMessage, UsageError } from '../contract/errors.js';
import type { Cancellation } from '../pipeline/cancellation.js';
import { EXIT, exitCodeOf, exitCodeOfError } from '../pipeline/exit-codes.js';
import { runLockCommand } from '../pipeline/lock/manual-lock.js';
import { loadRelease, runRelease, validateConfig } from '../pipeline/pipeline.js';
import { ConsoleReporter, type ConsoleOutput } from '../reporters/console.js';
import { writeJsonReport, writeJsonReportFile } from '../reporters/json.js';
import { htmlPathBeside, writeHtmlReport } from '../reporters/html-file.js';
import { fromJsonReport, parseJsonReport } from '../reporters/json-read.js';
import { replayReport } from '../reporters/replay.js';
import { plural } from '../reporters/vocabulary.js';
import { mergeReportFiles } from '../pipeline/merge.js';
import { logText } from '../reporters/log-text.js';
import { parseCli, USAGE, type CliCommand } from './args.js';

export interface CliIO {
  stdout: ConsoleOutput;
  stderr: ConsoleOutput;
  cwd: string;
  /** Cancels the run (the entrypoint wires SIGINT/SIGTERM to it) and bounds the wait after a cancel. */
  cancellation: Cancellation;
  /** Where BW_LOCK_TOKEN is read from. Default: the process environment. */
  env?: NodeJS.ProcessEnv;
}

/** The whole CLI as a function: argv in, exit code out. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    const command = parseCli(argv, io.env ?? process.env);
    switch (command.kind) {
      case 'help':
        io.stdout.write(`${USAGE}\n`);
        return EXIT.success;
      case 'version':
        io.stdout.write(`${packageVersion()}\n`);
        return EXIT.success;
      case 'validate': {
        const { file, config, warnings } = await validateConfig(command.configPath, io.cwd);
        const names = config.runners.map((r) => r.name).join(', ');
        io.stdout.write(`${file}: valid · runners: ${names || '(none)'}\n`);
        for (const warning of warnings) io.stderr.write(`boerewors: warning: ${warning}\n`);
        return EXIT.success;
      }
      case 'run': {
        const { settings } = command;
        const loaded = await loadRelease(settings, { cwd: io.cwd });
        const reporter = new ConsoleReporter(io.stdout, command.verbose, { dryRun: settings.dryRun });
        const { report, complete } = await runRelease(settings, loaded, {
          cancellation: io.cancellation,
          onEvent: reporter.onEvent,
        });
        // Cut short (a cancel the engine did not answer in time, or an engine failure): end the
        // log the way a finished run ends it, from what the events told.
        if (!complete) reporter.onEvent({ type: 'run-end', report });
        if (settings.reportPath)
          await writeJsonReport(settings.reportPath, report, { dryRun: settings.dryRun });
        if (command.htmlPath)
          await writeHtmlReport(resolve(io.cwd, command.htmlPath), report, { dryRun: settings.dryRun });
        return exitCodeOf(report);
      }
      case 'lock': {
        const result = await runLockCommand(command.action, command.settings, {
          cwd: io.cwd,
          signal: io.cancellation.signal,
          force: command.force,
          ...(command.message !== undefined ? { message: command.message } : {}),
          say: (line) => io.stderr.write(`${logText(line)}\n`),
        });
        if (result.refused) io.stderr.write(`${logText(result.refused)}\n`);
        if (result.stdout) io.stdout.write(`${logText(result.stdout)}\n`);
        return result.code;
      }
      case 'merge':
        return await mergeCommand(command, io);
      case 'html':
        return await htmlCommand(command, io);
    }
  } catch (e) {
    io.stderr.write(`boerewors: ${logText(errorMessage(e))}\n`);
    if (e instanceof UsageError) io.stderr.write(`Run "boerewors --help" for usage.\n`);
    return exitCodeOfError(e);
  }
}

/** `report merge`: the parts' reports → one report, told like a run's log; the merged exit code. */
async function mergeCommand(command: Extract<CliCommand, { kind: 'merge' }>, io: CliIO): Promise<number> {
  const { json, report, files } = await mergeReportFiles(command.files, io.cwd);
  io.stdout.write(`boerewors · report merge · ${plural(files.length, 'report')}: ${files.join(', ')}\n`);
  const reporter = new ConsoleReporter(io.stdout, command.verbose, { dryRun: json.dryRun });
  for (const event of replayReport(report)) reporter.onEvent(event);
  if (command.reportPath) await writeJsonReportFile(command.reportPath, json);
  return exitCodeOf(report);
}

/** `report html`: a JSON report (a run's or a merged one) → its HTML page. */
async function htmlCommand(command: Extract<CliCommand, { kind: 'html' }>, io: CliIO): Promise<number> {
  const { file } = command;
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read it: ${errorMessage(e)}`);
  }
  const json = parseJsonReport(text, file);
  const out = command.outputPath ?? htmlPathBeside(file);
  await writeHtmlReport(resolve(io.cwd, out), fromJsonReport(json), { dryRun: json.dryRun });
  io.stdout.write(`${out}\n`);
  return EXIT.success;
}

function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}
