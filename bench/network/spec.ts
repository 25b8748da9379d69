/** What the bench (outside) asks of the lab process (inside the namespace), and what it gets back. */
import type { NetworkPlan } from '../plan.js';
import type { Rate } from './shaping.js';

export interface LabSpec {
  readonly plan: NetworkPlan;
  readonly rates: readonly Rate[];
  readonly tc: string;
  /** Where the lab writes its LabResult (JSON). */
  readonly out: string;
}

export const UPLOAD_TOOLS = [
  'ours auto',
  'ours raw',
  'ours gzip',
  'tar+ssh',
  'tar -z+ssh',
  'rsync -az',
] as const;
export type UploadTool = (typeof UPLOAD_TOOLS)[number];
export type TreeKind = 'text' | 'incompressible';

export interface UploadRep {
  /** Wall time per tool, ms (ours: worker fork to exit; peers: the shell loop). */
  readonly wallMs: Partial<Record<UploadTool, number>>;
  /** What `compress: auto` chose and why. */
  readonly autoChoice?: string;
}

export interface UploadRow {
  readonly rate: string;
  readonly tree: TreeKind;
  readonly files: number;
  readonly bytes: number;
  readonly hosts: number;
  readonly tools: readonly UploadTool[];
  readonly reps: readonly UploadRep[];
}

export interface RttRep {
  /** Ours: SSH handshake, `connect()` to ready, median over the hosts. */
  readonly oursConnectMs: number;
  /** Ours: one warm `true` step, median. */
  readonly oursStepMs: number;
  /** ssh2 bare exec of `true` on a warm connection (no wrapper), median. */
  readonly rawExecMs: number;
  /** OpenSSH `ssh -fN -o ControlMaster=yes`: until the master is up. */
  readonly sshConnectMs: number;
  /** OpenSSH `ssh host true` through the master, median. */
  readonly sshStepMs: number;
  /** OpenSSH `ssh host true` without a master (connect + command), median. */
  readonly sshFreshMs: number;
}

export interface LabResult {
  readonly uploads: readonly UploadRow[];
  readonly rtt: readonly RttRep[];
  readonly fanout: {
    readonly wallMs: readonly number[];
    /** Each stage's wall time, per repetition, ms. */
    readonly stageMs: readonly (readonly number[])[];
    readonly idealMs: number;
  };
  readonly notes: readonly string[];
}
