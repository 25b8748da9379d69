/**
 * A compromised host for the suites: a real sshd whose `ForceCommand` is a shim that reads what
 * boerewors sends (the wrapper's payload: variables and script) and, depending on the lie the test
 * chose (`setLie`), answers the lock's commands, the upload's host script or the release-directory
 * scripts (the `release:` steps, the rollback's read of `current`) with floods, silence, malformed
 * or hostile text, or runs the command honestly. Everything else (steps) runs as sent. The shim's
 * directory is made under the run's TMPDIR in `beforeAll` and removed in `afterAll`.
 */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SshdFleetOptions } from './sshd.js';

/** What the lock host or the upload host answers instead of running the command. */
export type Lie =
  | 'honest'
  | 'lock-flood'
  | 'lock-silence'
  | 'lock-long-line'
  | 'lock-owner'
  | 'lock-owner-wrong-types'
  | 'upload-have-flood'
  | 'upload-ready-twice'
  | 'upload-no-zstd-twice'
  | 'upload-error-controls'
  | 'upload-silence'
  | 'release-flood'
  | 'release-silence'
  | 'release-forged-line'
  | 'release-current-dotdot';

/**
 * owner.json of a lock held by an attacker: a workflow command after a newline in every text field,
 * ESC and BEL, a `runUrl` that closes the summary's link and adds markup.
 */
export const HOSTILE_OWNER = JSON.stringify({
  token: 'abcdefgh12345678',
  who: 'mallory\n::error file=.github/workflows/release.yml,line=3,title=Forged::owned\n::stop-commands::tok',
  runner: '\u001b[31mred\u0007',
  release: '::set-output name=result::success',
  runUrl: 'https://x/)<h2>INJECTED</h2>[click](https://evil.example/login)',
  controller: 'host\r::warning::forged',
  pid: 7,
  started: '2026-11-28T01:00:00.000Z',
  message: '\n::add-mask::x\n<img src=https://evil.example/p.png>',
});

const SHIM = (dir: string): string => `#!/bin/bash
# A lying host: reads the payload boerewors sends, then answers as $dir/lie says. Silence is
# reading stdin to its end: it ends when the controller closes the channel, so nothing outlives it.
lie=$(cat ${dir}/lie 2>/dev/null)
len=\${SSH_ORIGINAL_COMMAND##* }
case $len in ''|*[!0-9]*) exec /bin/bash -c "$SSH_ORIGINAL_COMMAND" ;; esac
IFS= LC_ALL=C read -r -d '' -N "$len" payload
kind=step
case $payload in
  *BW_LOCK_NAME*) kind=lock ;;
  *"bw-upload: "*) kind=upload ;;
  *"went live at"*) kind=read-current ;;
  *"bw-release: %s"*) kind=release ;;
esac
case $kind:$lie in
  lock:lock-flood) exec yes 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' ;;
  lock:lock-silence) exec cat >/dev/null ;;
  lock:lock-long-line) exec head -c 100000000 /dev/zero ;;
  lock:lock-owner) printf 'held\\nage 5\\nowner %s\\n' "$(cat ${dir}/owner.json)"; exit 0 ;;
  lock:lock-owner-wrong-types) printf 'held\\nage 99999999999999\\nowner {"who":{"x":1},"pid":"x"}\\n'; exit 0 ;;
  upload:upload-have-flood) i=1; while :; do echo "bw-upload: have $i"; i=$((i + 1)); done ;;
  upload:upload-ready-twice) echo 'bw-upload: ready'; echo 'bw-upload: ready'; exec cat >/dev/null ;;
  upload:upload-no-zstd-twice) echo 'bw-upload: no-zstd'; echo 'bw-upload: no-zstd'; exec cat >/dev/null ;;
  upload:upload-error-controls)
    printf 'bw-upload: error: \\033[31mdisk \\007full\\033]0;owned\\007 %%0A::error::forged\\n'; exit 1 ;;
  upload:upload-silence) exec cat >/dev/null ;;
  release:release-flood|read-current:release-flood)
    exec yes 'current releases/r1 first went live at 2099-01-01T00:00:00Z' ;;
  release:release-silence|read-current:release-silence) exec cat >/dev/null ;;
  release:release-forged-line)
    printf 'bw-release: switch \\033[31mr1\\007 ::error::forged\\n::error::forged\\nbw-release: rollback .. ..\\n'
    exec cat >/dev/null ;;
  read-current:release-current-dotdot) printf 'this run rolled back releases/.. at 2099-01-01T00:00:00Z\\ncurrent releases/.. first went live at ~\\n'; exit 0 ;;
esac
# Honest: the payload again, then the rest of stdin (the lifeline, or an upload's archive).
exec 3< <(printf '%s' "$payload"; exec cat)
feeder=$!
/bin/bash -c "$SSH_ORIGINAL_COMMAND" <&3 3<&-
r=$?
kill "$feeder" 2>/dev/null
exit $r
`;

export interface HostileHost {
  /** The sshd options: the fleet's hosts all run the shim. */
  readonly sshd: Pick<SshdFleetOptions, 'config'>;
  setLie(lie: Lie): Promise<void>;
}

/** The shim of a suite, in a directory of its own; registers its Jest hooks. */
export function useHostileShim(): HostileHost {
  // Under the run's TMPDIR (tmp-setup.mjs: readable by sshd's login user), so that the run's
  // check at the end sees it if it is left behind.
  const dir = join(tmpdir(), `bw-hostile-${process.pid}-${Date.now()}`);
  beforeAll(async () => {
    await mkdir(dir);
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'shim'), SHIM(dir), { mode: 0o755 });
    await writeFile(join(dir, 'owner.json'), HOSTILE_OWNER, { mode: 0o644 });
    await writeFile(join(dir, 'lie'), 'honest', { mode: 0o644 });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return {
    sshd: { config: { ForceCommand: join(dir, 'shim') } },
    setLie: (lie) => writeFile(join(dir, 'lie'), lie),
  };
}
