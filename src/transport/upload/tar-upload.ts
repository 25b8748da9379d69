/**
 * An upload as a tar stream over one exec channel, written once for every transport that can run a
 * command with input (SSH and `local:` hosts): read the source once per snapshot, pack it once,
 * and let host-script.ts unpack it into a staging directory and move it into place. With
 * `link-from` the host first says which files it already has; only the others are packed.
 */
import { randomBytes } from 'node:crypto';
import { basename, posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { UploadError } from '../../contract/errors.js';
import type { Host } from '../../contract/host.js';
import {
  DEFAULT_SHELL,
  type ExecRequest,
  type ExecResult,
  type TransportCallContext,
  type UploadRequest,
  type UploadResult,
} from '../../contract/transport.js';
import type { Archive, ArchiveCache } from './archive-cache.js';
import { compressedCodec, encoderOf, type Codec } from './codec.js';
import { forcedChoice, type CompressionChoice, type CompressSetting } from './compression.js';
import { EXIT_NO_GZIP, EXIT_NO_TAR, HOST_SCRIPT, hostScriptEnv, markerName } from './host-script.js';
import { UploadReplies, type ReplyDeadlines } from './host-replies.js';
import type { SourceTree } from './source-tree.js';

/** Compression when the step does not say: see docs/ssh.md, "Uploads". */
export const DEFAULT_COMPRESS: CompressSetting = 'auto';

export type Exec = (host: Host, req: ExecRequest, ctx: TransportCallContext) => Promise<ExecResult>;

/**
 * `exec` once `connecting` has settled. A transport starts connecting the host when the upload
 * starts, so the handshake's round trips overlap reading and sampling the source instead of
 * following them; a connect that fails fails the upload with its own error, once.
 */
export function afterConnecting(connecting: Promise<unknown>, exec: Exec): Exec {
  connecting.catch(() => {});
  return async (host, req, ctx) => {
    await connecting;
    return exec(host, req, ctx);
  };
}

/** `no-tar`: the host has no `tar`; the caller falls back (SFTP, or a local copy). */
export type TarUploadOutcome = UploadResult | 'no-tar';

export async function tarUpload(
  exec: Exec,
  cache: ArchiveCache,
  host: Host,
  label: string,
  req: UploadRequest,
  ctx: TransportCallContext,
  deadlines?: ReplyDeadlines,
): Promise<TarOutcome> {
  ctx.signal.throwIfAborted();
  const started = Date.now();
  const tree = await cache.tree(req.from, req.snapshot);
  const upload: Upload = { exec, cache, host, label, req, ctx, tree, ...(deadlines ? { deadlines } : {}) };
  let choice = await chooseCompression(cache, tree, req.compress ?? DEFAULT_COMPRESS, ctx.signal);
  for (;;) {
    const outcome = await attempt(upload, choice.compress ? compressedCodec() : 'none');
    if (outcome === 'no-tar') return outcome;
    if (outcome !== 'no-gzip') {
      const { levels, codec, ...result } = outcome;
      const compression = describeChoice(choice, codec, describeLevels(codec, levels));
      return { ...result, compression, durationMs: Date.now() - started };
    }
    ctx.onOutput('stderr', `${label}: no gzip on the host: sending the upload uncompressed`);
    choice = { compress: false, why: 'no gzip on the host' };
  }
}

/**
 * `zstd: a 1.0 MB sample shrank 70.2 %, level 9 for 3 of 21 MiB`, `raw: compress: false`,
 * `gzip: …, level 6 for 0 of 21 MiB, no zstd on the host`: the choice as the log line and the
 * report give it.
 */
function describeChoice(choice: CompressionChoice, codec: Codec, levels: string): string {
  const instead = codec === 'gzip' && compressedCodec() === 'zstd' ? ', no zstd on the host' : '';
  return `${codec === 'none' ? 'raw' : codec}: ${choice.why}${levels}${instead}`;
}

function chooseCompression(
  cache: ArchiveCache,
  tree: SourceTree,
  setting: CompressSetting,
  signal: AbortSignal,
): Promise<CompressionChoice> {
  return setting === 'auto' ? cache.compression(tree, signal) : Promise.resolve(forcedChoice(setting));
}

type TarOutcome = TarUploadOutcome;

/** One upload of a source to one host: what every attempt of it shares. */
interface Upload {
  readonly exec: Exec;
  readonly cache: ArchiveCache;
  readonly host: Host;
  readonly label: string;
  readonly req: UploadRequest;
  readonly ctx: TransportCallContext;
  readonly tree: SourceTree;
  readonly deadlines?: ReplyDeadlines;
}

interface Manifest {
  /** The lines `SHA256 MODE PATH\n`, for files whose names a line can carry. */
  readonly text: Buffer;
  /** Entry index of each line (line n+1 → lineEntries[n]). */
  readonly lineEntries: readonly number[];
}

/** `, level 9 for 14 of 20 MiB`: how much of a compressed archive this host got at the small level. */
function describeLevels(codec: Codec, levels: ReadonlyMap<number, number>): string {
  const all = [...levels.values()].reduce((a, b) => a + b, 0);
  if (codec === 'none' || all === 0) return '';
  const small = encoderOf(codec).smallLevel;
  return `, level ${small} for ${levels.get(small) ?? 0} of ${all} MiB`;
}

type Sent = UploadResult & { readonly levels: ReadonlyMap<number, number>; readonly codec: Codec };

/** One run of the host script: the manifest and the archive in, the host's replies out. */
async function attempt(upload: Upload, asked: Codec): Promise<Sent | 'no-tar' | 'no-gzip'> {
  const { tree, req, ctx, label } = upload;
  const to = tree.kind === 'file' && req.to.endsWith('/') ? posix.join(req.to, basename(tree.root)) : req.to;
  const linking = tree.kind === 'directory' && req.linkFrom !== undefined && req.linkFrom !== '';
  const manifest = linking ? await manifestOf(upload.cache, tree, ctx.signal) : null;
  const stdin = new HostInput(upload.cache, tree);
  // The host is not trusted: a reply outside the protocol ends the upload, and fails it.
  const replies = new UploadReplies(
    manifest ? manifest.lineEntries.length : null,
    asked === 'zstd',
    () => stdin.sendArchive(replies.noZstd ? 'gzip' : asked, omitted(replies.have, manifest)),
    upload.deadlines,
  );
  const env = scriptEnv(to, tree, asked, manifest && { path: req.linkFrom as string, manifest });
  if (manifest) stdin.write(manifest.text);
  // The whole tree goes (nothing to link): pack it while the host script starts.
  else archiveOf(upload.cache, tree, asked, null);
  let result: ExecResult;
  try {
    result = await upload.exec(
      upload.host,
      { script: HOST_SCRIPT, shell: DEFAULT_SHELL, env, stdin: stdin.input },
      { signal: AbortSignal.any([ctx.signal, replies.stop.signal]), onOutput: replies.onOutput },
    );
  } catch (e) {
    if (replies.violation === undefined || ctx.signal.aborted) throw e;
    throw new UploadError(`${label}: upload to ${to} failed: the host ${replies.violation}`);
  } finally {
    replies.dispose();
    stdin.destroy();
  }
  // A transport that ends the command with a status when told to stop: the violation is the cause.
  if (replies.violation !== undefined) {
    throw new UploadError(`${label}: upload to ${to} failed: the host ${replies.violation}`);
  }
  // Packing failed (a source file changed or vanished): that, not the host's complaint, is the cause.
  if (stdin.archiveError) throw stdin.archiveError;
  if (replies.fallback === 'no-tar' && result.exitCode === EXIT_NO_TAR) return 'no-tar';
  if (replies.fallback === 'no-gzip' && result.exitCode === EXIT_NO_GZIP) return 'no-gzip';
  if (result.exitCode !== 0) {
    throw new UploadError(`${label}: upload to ${to} failed: ${replies.failure(result.exitCode)}`);
  }
  const { files, bytes } = tree;
  return {
    files,
    bytes,
    bytesSent: stdin.bytesSent,
    filesLinked: replies.have.size,
    method: 'tar',
    durationMs: 0,
    levels: stdin.levels,
    codec: replies.noZstd ? 'gzip' : asked,
  };
}

/** The entries the host already has (its `have` lines of the manifest), or null for none. */
function omitted(have: ReadonlySet<number>, manifest: Manifest | null): Set<number> | null {
  return have.size > 0 ? new Set([...have].map((line) => manifest?.lineEntries[line - 1] as number)) : null;
}

/** The host script's stdin: the manifest, then the archive (without what the host has). */
class HostInput {
  readonly input = new PassThrough({ highWaterMark: 256 * 1024 });
  bytesSent = 0;
  /** Compressed members sent, by level (each one MiB of the tar; see compressed-members.ts). */
  readonly levels = new Map<number, number>();
  /** Why the archive ended early: the host then unpacks nothing, and this says why. */
  archiveError: Error | null = null;
  #reader: Readable | null = null;

  constructor(
    private readonly cache: ArchiveCache,
    private readonly tree: SourceTree,
  ) {}

  write(chunk: Buffer): void {
    this.input.write(chunk);
    this.bytesSent += chunk.length;
  }

  sendArchive(codec: Codec, omit: Set<number> | null): void {
    const file = archiveOf(this.cache, this.tree, codec, omit);
    const archive = file.reader((level) => this.levels.set(level, (this.levels.get(level) ?? 0) + 1));
    this.#reader = archive;
    archive.on('data', (chunk: Buffer) => (this.bytesSent += chunk.length));
    archive.once('error', (err) => {
      this.archiveError = err;
      this.input.end();
    });
    archive.pipe(this.input);
  }

  destroy(): void {
    this.#reader?.destroy();
    this.input.destroy();
  }
}

/** The archive of `tree` without the `omit` entries, packed once for every host that gets it. */
function archiveOf(cache: ArchiveCache, tree: SourceTree, codec: Codec, omit: Set<number> | null): Archive {
  const omitKey = omit ? [...omit].sort((a, b) => a - b).join(',') : 'all';
  return cache.archive(
    { tree, omit, codec, marker: { name: markerName(archiveId(tree)), content: Buffer.alloc(0) } },
    `${codec}|${omitKey}`,
  );
}

/** The host script's variables for one upload (a new nonce each time). */
function scriptEnv(
  to: string,
  tree: SourceTree,
  codec: Codec,
  linkFrom: { path: string; manifest: Manifest } | null,
): Record<string, string> {
  return hostScriptEnv({
    to,
    kind: tree.kind,
    nonce: randomBytes(8).toString('hex'),
    marker: markerName(archiveId(tree)),
    codec,
    ...(linkFrom ? { linkFrom: { path: linkFrom.path, manifestBytes: linkFrom.manifest.text.length } } : {}),
  });
}

/** The marker of an archive: the same for every host that gets it. */
function archiveId(tree: SourceTree): string {
  return tree.signature.slice(0, 16);
}

async function manifestOf(cache: ArchiveCache, tree: SourceTree, signal: AbortSignal): Promise<Manifest> {
  const hashes = await cache.hashes(tree, signal);
  const lines: string[] = [];
  const lineEntries: number[] = [];
  tree.entries.forEach((entry, i) => {
    const sha = hashes[i];
    // A name with a newline, carriage return or backslash cannot be one plain line: always sent.
    if (entry.type !== 'file' || sha === undefined || /[\n\r\\]/.test(entry.path)) return;
    lines.push(`${sha} ${(entry.mode & 0o7777).toString(8)} ${entry.path}\n`);
    lineEntries.push(i);
  });
  return { text: Buffer.from(lines.join(''), 'utf8'), lineEntries };
}
