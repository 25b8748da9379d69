/**
 * Records a host key in a known_hosts file, for `host-key-checking: accept-new` (as ssh(1) adds a
 * new host to its first UserKnownHostsFile). The line goes in with one O_APPEND write, so
 * concurrent writers (our other connections, another run, ssh itself) never interleave or lose a
 * line, and a reader sees the file with or without it; the file's mode, owner and links are kept.
 * Records into one file are made one at a time within the process, each reading the file again
 * first, in the same open: so connections opened together (connect-ahead) never add a host twice,
 * and a key written since the run started (by another run) is neither duplicated nor contradicted.
 * Two processes adding the same new host at the same instant may both add it: a duplicate line,
 * harmless, as with two `ssh` processes.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  entryMatches,
  hashHostName,
  keyTypeOf,
  parseKnownHosts,
  type KnownHostEntry,
} from './known-hosts.js';

export type RecordOutcome =
  /** The line was appended; `hashed` when the name was written as `|1|salt|hash`. */
  | { readonly kind: 'recorded'; readonly hashed: boolean; readonly madePrivate: boolean }
  /** The file already lists this key for the host (another run recorded it meanwhile). */
  | { readonly kind: 'present' }
  /** The file now lists other keys for the host: the presented key is not to be trusted. */
  | { readonly kind: 'conflict'; readonly listed: readonly KnownHostEntry[] };

/**
 * Appends `name keytype base64` to `path` (created 0600, its directory 0700, when missing) unless
 * the file already lists the host. The name is hashed when the file holds hashed entries, so a
 * hashed file does not start naming its hosts. A world-writable file loses that bit (anyone could
 * add keys to it); `madePrivate` says so. `label` names the file in the entries' sources.
 */
export function recordKnownHost(
  path: string,
  label: string,
  name: string,
  key: Buffer,
): Promise<RecordOutcome> {
  const file = resolve(path);
  const previous = queues.get(file) ?? Promise.resolve();
  const recorded = previous.then(() => appendUnlessListed(file, label, name, key));
  const tail = recorded.then(
    () => {},
    () => {},
  );
  queues.set(file, tail);
  // Forget an idle file, so a long-lived process does not keep one promise per file it ever wrote.
  void tail.then(() => queues.get(file) === tail && queues.delete(file));
  return recorded;
}

/** The last record queued per absolute path. */
const queues = new Map<string, Promise<void>>();

async function appendUnlessListed(
  path: string,
  label: string,
  name: string,
  key: Buffer,
): Promise<RecordOutcome> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const file = await open(path, 'a+', 0o600);
  try {
    const text = await file.readFile('utf8');
    const { entries } = parseKnownHosts(text, label);
    const listed = entries.filter((e) => e.marker === null && entryMatches(e, name));
    if (listed.some((e) => e.key.equals(key))) return { kind: 'present' };
    if (listed.length > 0) return { kind: 'conflict', listed };

    const hashed = entries.some((e) => e.hashed !== null);
    const line = `${hashed ? hashHostName(name) : name} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
    const data = Buffer.from(text === '' || text.endsWith('\n') ? line : `\n${line}`);
    const { mode, size } = await file.stat();
    const madePrivate = (mode & 0o002) !== 0;
    if (madePrivate) await file.chmod(mode & 0o7775);
    const { bytesWritten } = await file.write(data).catch(async (err: unknown) => {
      await undoPartialAppend(file, size, data.length);
      throw err;
    });
    if (bytesWritten !== data.length) {
      await undoPartialAppend(file, size, data.length);
      throw new Error(`short write (${bytesWritten} of ${data.length} bytes)`);
    }
    await file.datasync();
    return { kind: 'recorded', hashed, madePrivate };
  } finally {
    await file.close();
  }
}

/**
 * A partial line (disk full) would read as a listed key next time, and refuse the host as
 * changed; cut it off, unless someone else appended after it.
 */
async function undoPartialAppend(file: FileHandle, sizeBefore: number, length: number): Promise<void> {
  try {
    const { size } = await file.stat();
    if (size > sizeBefore && size < sizeBefore + length) await file.truncate(sizeBefore);
  } catch {
    // Best effort: the write's own error is what the caller reports.
  }
}
