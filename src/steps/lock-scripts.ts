/**
 * The deploy lock's shell commands, as pure values (a fixed script and the environment it reads),
 * and the parser of what they print. The lock is the directory `~/.boerewors/locks/NAME` on the
 * lock host: `mkdir` takes it atomically; `owner.json` says who holds it (written once, by the
 * holder); the mtime of `heartbeat` says when the holder last showed it is alive, measured with
 * the lock host's own clock, so controllers with skewed clocks agree on staleness. docs/lock.md
 * describes the protocol.
 *
 * Values never become script text: a lock name, a token or an owner reach the script as variables.
 */

/** Under the login user's home on the lock host. */
export const LOCKS_DIR = '.boerewors/locks';

export interface LockCommand {
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
}

export interface AcquireLockInput {
  readonly name: string;
  /** Ours: written into owner.json. */
  readonly token: string;
  /** owner.json, one line of JSON (see `LockOwner`). */
  readonly owner: string;
  /** A holder whose heartbeat is at least this old is taken over; 0: never. Whole seconds. */
  readonly staleAfterSeconds: number;
  /** A token given to us (BW_LOCK_TOKEN): when the holder has it, we re-enter its lock. */
  readonly reenter?: string;
}

const PRELUDE = `l="$HOME/${LOCKS_DIR}/$BW_LOCK_NAME"
has_token() { case $1 in *"\\"token\\":\\"$2\\""*) return 0 ;; esac; return 1; }
describe() {
  f="$l/heartbeat"
  [ -e "$f" ] || f="$l/owner.json"
  [ -e "$f" ] || f=$l
  t=$(date -r "$f" +%s 2>/dev/null) || return 1
  echo "age $(($(date +%s) - t))"
  echo "owner $owner"
}
`;

/**
 * Take the lock: `acquired`; or re-enter it (`reentered`); or take over a stale holder's
 * (`taken-over`, once: a marker directory per stale token stops a second taker); or `held`. Each
 * answer but `acquired` is followed by `age SECONDS` (of the heartbeat) and `owner JSON`.
 */
export function acquireLockCommand(input: AcquireLockInput): LockCommand {
  return {
    script: `${PRELUDE}take() {
  # The heartbeat first: a racer that reads the new owner.json must never see the old holder's
  # stale heartbeat beside it (it would take the lock over from us).
  touch "$l/heartbeat" && printf '%s\\n' "$BW_LOCK_OWNER" >"$l/owner.json.$$" && mv -f "$l/owner.json.$$" "$l/owner.json"
}
mkdir -p "$HOME/${LOCKS_DIR}"
for try in 1 2 3; do
  if mkdir "$l" 2>/dev/null; then
    take
    echo acquired
    exit 0
  fi
  owner=$(cat "$l/owner.json" 2>/dev/null) || owner=
  state=$(describe) || continue
  if [ -n "$BW_LOCK_REENTER" ] && has_token "$owner" "$BW_LOCK_REENTER"; then
    touch "$l/heartbeat"
    printf 'reentered\\n%s\\n' "$state"
    exit 0
  fi
  age=$(printf '%s\\n' "$state" | sed -n 's/^age //p')
  case $owner in *'"manual":true'*) stale=0 ;; *) stale=$BW_LOCK_STALE_AFTER ;; esac
  if [ "$stale" -gt 0 ] && [ "$age" -ge "$stale" ]; then
    old=$(printf '%s' "$owner" | sed -n 's/.*"token":"\\([A-Za-z0-9_-]*\\)".*/\\1/p')
    if mkdir "$l/taken-over-\${old:-unknown}" 2>/dev/null && take; then
      printf 'taken-over\\n%s\\n' "$state"
      exit 0
    fi
  fi
  printf 'held\\n%s\\n' "$state"
  exit 0
done
echo "the lock $l kept changing under us" >&2
exit 1
`,
    env: {
      BW_LOCK_NAME: input.name,
      BW_LOCK_OWNER: input.owner,
      BW_LOCK_STALE_AFTER: String(input.staleAfterSeconds),
      BW_LOCK_REENTER: input.reenter ?? '',
      BW_LOCK_OWN: input.token,
    },
  };
}

/** Refresh the heartbeat while `token` holds the lock: `ok`; else `lost` and the owner now. */
export function heartbeatLockCommand(name: string, token: string): LockCommand {
  return {
    script: `${PRELUDE}owner=$(cat "$l/owner.json" 2>/dev/null) || owner=
if has_token "$owner" "$BW_LOCK_OWN"; then
  touch "$l/heartbeat"
  echo ok
else
  echo lost
  echo "owner $owner"
fi
`,
    env: { BW_LOCK_NAME: name, BW_LOCK_OWN: token },
  };
}

/**
 * Remove the lock if `token` holds it (or whoever does, with `force`): `released` and the owner it
 * had, `absent`, or `not-ours` and the owner. The lock is first renamed away (atomic), then its
 * owner checked again: a takeover between the check and the rename gets its lock back.
 */
export function releaseLockCommand(name: string, token: string, opts: { force?: boolean } = {}): LockCommand {
  return {
    script: `${PRELUDE}[ -d "$l" ] || {
  echo absent
  exit 0
}
owner=$(cat "$l/owner.json" 2>/dev/null) || owner=
if [ "$BW_LOCK_FORCE" != 1 ] && ! has_token "$owner" "$BW_LOCK_OWN"; then
  printf 'not-ours\\nowner %s\\n' "$owner"
  exit 0
fi
gone="$HOME/${LOCKS_DIR}/.released.$BW_LOCK_NAME.$$"
mv "$l" "$gone"
moved=$(cat "$gone/owner.json" 2>/dev/null) || moved=
if [ "$BW_LOCK_FORCE" != 1 ] && ! has_token "$moved" "$BW_LOCK_OWN"; then
  [ -e "$l" ] || mv "$gone" "$l"
  printf 'not-ours\\nowner %s\\n' "$moved"
  exit 0
fi
rm -rf "$gone"
printf 'released\\nowner %s\\n' "$moved"
`,
    env: { BW_LOCK_NAME: name, BW_LOCK_OWN: token, BW_LOCK_FORCE: opts.force ? '1' : '0' },
  };
}

/** `free`, or `held` with `age SECONDS` and `owner JSON`. */
export function lockStatusCommand(name: string): LockCommand {
  return {
    script: `${PRELUDE}owner=$(cat "$l/owner.json" 2>/dev/null) || owner=
state=$(describe) || {
  echo free
  exit 0
}
printf 'held\\n%s\\n' "$state"
`,
    env: { BW_LOCK_NAME: name },
  };
}

export type LockAnswer =
  | 'acquired'
  | 'reentered'
  | 'taken-over'
  | 'held'
  | 'ok'
  | 'lost'
  | 'released'
  | 'absent'
  | 'not-ours'
  | 'free';

const ANSWERS: readonly string[] = [
  'acquired',
  'reentered',
  'taken-over',
  'held',
  'ok',
  'lost',
  'released',
  'absent',
  'not-ours',
  'free',
];

/** What a lock command printed: its answer, the age of the holder's heartbeat, its owner.json. */
export interface LockReply {
  readonly answer: LockAnswer;
  /** Seconds since the holder's last heartbeat, by the lock host's clock. */
  readonly ageSeconds?: number;
  /** owner.json as it was read ('' when it had none yet: a lock being taken). */
  readonly owner?: string;
}

/** Answers that are the whole reply; the others end with an `owner` line. */
const ONE_LINE_ANSWERS: readonly string[] = ['acquired', 'ok', 'free', 'absent'];

/**
 * Parses a lock command's stdout; undefined when it is not one of ours (a noisy login script, say).
 * What the lock host says is data: an age is whole seconds (capped at a year), the first `owner`
 * line counts, and owner.json is read by parseOwner (src/pipeline/lock/lock-owner.ts) with its own schema.
 */
export function parseLockReply(stdout: readonly string[]): LockReply | undefined {
  const start = stdout.findIndex((line) => ANSWERS.includes(line.trim()));
  if (start === -1) return undefined;
  const reply: { answer: LockAnswer; ageSeconds?: number; owner?: string } = {
    answer: stdout[start]?.trim() as LockAnswer,
  };
  for (const line of stdout.slice(start + 1)) {
    const age = /^age (-?\d{1,12})$/.exec(line);
    if (age && reply.ageSeconds === undefined)
      reply.ageSeconds = Math.min(MAX_AGE_S, Math.max(0, Number(age[1])));
    else if (reply.owner !== undefined) continue;
    else if (line.startsWith('owner ')) reply.owner = line.slice('owner '.length);
    else if (line === 'owner') reply.owner = '';
  }
  return reply;
}

/** A year: an age beyond it is a lie, and read as this. */
const MAX_AGE_S = 365 * 24 * 3600;

/** Whether `stdout` holds a whole answer already: nothing after it is needed. */
export function replyComplete(stdout: readonly string[]): boolean {
  const reply = parseLockReply(stdout);
  if (!reply) return false;
  return ONE_LINE_ANSWERS.includes(reply.answer) || reply.owner !== undefined;
}
