/** The library API: the same engine the action and the CLI use. */
export { Ok, Err, Skip, isSuccess, type Outcome } from './engine/result.js';
export { Job, type JobContext, type JobBody, type SubtaskResult } from './engine/job.js';
export { Stage, type StageOptions, type StageContext, type Amount } from './engine/stage.js';
export { Runner, type RunnerOptions, type RunContext } from './engine/runner.js';
export { Executor, type ExecutorOptions } from './engine/executor.js';
export { remote, local, upload, DEFAULT_SHELL } from './engine/subtask.js';
export type { ExecTask, UploadTask, Subtask, ExecResult, UploadResult } from './engine/subtask.js';
export type { Host } from './engine/host.js';
export type { EngineEvent } from './engine/events.js';
export type { RunReport, StageReport, JobReport } from './engine/report.js';
export type { Transport, ExecRequest, UploadRequest, TransportCallContext } from './transport/transport.js';
export * from './errors.js';
