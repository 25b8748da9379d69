/**
 * The deploy lock's commands are pure values, pinned here as exact text (as Kamal pins its lock
 * commands): the protocol between controllers that may run different versions of the tool lives
 * in these scripts. What they do on a real host is tested in deploy-lock.test.ts and on sshd.
 */
import {
  acquireLockCommand,
  heartbeatLockCommand,
  lockStatusCommand,
  parseLockReply,
  releaseLockCommand,
} from '../../src/release/lock-commands.js';

const PRELUDE = String.raw`l="$HOME/.boerewors/locks/$BW_LOCK_NAME"
has_token() { case $1 in *"\"token\":\"$2\""*) return 0 ;; esac; return 1; }
describe() {
  f="$l/heartbeat"
  [ -e "$f" ] || f="$l/owner.json"
  [ -e "$f" ] || f=$l
  t=$(date -r "$f" +%s 2>/dev/null) || return 1
  echo "age $(($(date +%s) - t))"
  echo "owner $owner"
}
`;

describe('lock commands', () => {
  it('acquire: mkdir takes it; else re-enter, take over a stale holder once, or say who holds it', () => {
    const owner = '{"token":"abc12345","who":"alice"}';
    expect(
      acquireLockCommand({
        name: 'shop',
        token: 'abc12345',
        owner,
        staleAfterSeconds: 600,
        reenter: 'f00dcafe',
      }),
    ).toEqual({
      script:
        PRELUDE +
        String.raw`take() {
  printf '%s\n' "$BW_LOCK_OWNER" >"$l/owner.json.$$" && mv -f "$l/owner.json.$$" "$l/owner.json" && touch "$l/heartbeat"
}
mkdir -p "$HOME/.boerewors/locks"
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
    printf 'reentered\n%s\n' "$state"
    exit 0
  fi
  age=$(printf '%s\n' "$state" | sed -n 's/^age //p')
  case $owner in *'"manual":true'*) stale=0 ;; *) stale=$BW_LOCK_STALE_AFTER ;; esac
  if [ "$stale" -gt 0 ] && [ "$age" -ge "$stale" ]; then
    old=$(printf '%s' "$owner" | sed -n 's/.*"token":"\([A-Za-z0-9_-]*\)".*/\1/p')
    if mkdir "$l/taken-over-${'$'}{old:-unknown}" 2>/dev/null && take; then
      printf 'taken-over\n%s\n' "$state"
      exit 0
    fi
  fi
  printf 'held\n%s\n' "$state"
  exit 0
done
echo "the lock $l kept changing under us" >&2
exit 1
`,
      // Every value reaches the script as a variable, never as its text.
      env: {
        BW_LOCK_NAME: 'shop',
        BW_LOCK_OWNER: owner,
        BW_LOCK_STALE_AFTER: '600',
        BW_LOCK_REENTER: 'f00dcafe',
        BW_LOCK_OWN: 'abc12345',
      },
    });
    expect(
      acquireLockCommand({ name: 'x', token: 't', owner: '{}', staleAfterSeconds: 5 }).env.BW_LOCK_REENTER,
    ).toBe('');
  });

  it('heartbeat: touches the heartbeat only while the token is the holder’s', () => {
    expect(heartbeatLockCommand('shop', 'abc12345')).toEqual({
      script:
        PRELUDE +
        String.raw`owner=$(cat "$l/owner.json" 2>/dev/null) || owner=
if has_token "$owner" "$BW_LOCK_OWN"; then
  touch "$l/heartbeat"
  echo ok
else
  echo lost
  echo "owner $owner"
fi
`,
      env: { BW_LOCK_NAME: 'shop', BW_LOCK_OWN: 'abc12345' },
    });
  });

  it('release: only the holder’s token (or --force); renamed away first, then checked again', () => {
    const script =
      PRELUDE +
      String.raw`[ -d "$l" ] || {
  echo absent
  exit 0
}
owner=$(cat "$l/owner.json" 2>/dev/null) || owner=
if [ "$BW_LOCK_FORCE" != 1 ] && ! has_token "$owner" "$BW_LOCK_OWN"; then
  printf 'not-ours\nowner %s\n' "$owner"
  exit 0
fi
gone="$HOME/.boerewors/locks/.released.$BW_LOCK_NAME.$$"
mv "$l" "$gone"
moved=$(cat "$gone/owner.json" 2>/dev/null) || moved=
if [ "$BW_LOCK_FORCE" != 1 ] && ! has_token "$moved" "$BW_LOCK_OWN"; then
  [ -e "$l" ] || mv "$gone" "$l"
  printf 'not-ours\nowner %s\n' "$moved"
  exit 0
fi
rm -rf "$gone"
printf 'released\nowner %s\n' "$moved"
`;
    expect(releaseLockCommand('shop', 'abc12345')).toEqual({
      script,
      env: { BW_LOCK_NAME: 'shop', BW_LOCK_OWN: 'abc12345', BW_LOCK_FORCE: '0' },
    });
    expect(releaseLockCommand('shop', '', { force: true })).toEqual({
      script,
      env: { BW_LOCK_NAME: 'shop', BW_LOCK_OWN: '', BW_LOCK_FORCE: '1' },
    });
  });

  it('status: free, or held with the heartbeat’s age and the owner', () => {
    expect(lockStatusCommand('shop')).toEqual({
      script:
        PRELUDE +
        String.raw`owner=$(cat "$l/owner.json" 2>/dev/null) || owner=
state=$(describe) || {
  echo free
  exit 0
}
printf 'held\n%s\n' "$state"
`,
      env: { BW_LOCK_NAME: 'shop' },
    });
  });

  it('a reply is read from its answer on, past whatever a login script printed first', () => {
    expect(parseLockReply(['Welcome to web-1', 'held', 'age 12', 'owner {"who":"bob"}'])).toEqual({
      answer: 'held',
      ageSeconds: 12,
      owner: '{"who":"bob"}',
    });
    expect(parseLockReply(['acquired'])).toEqual({ answer: 'acquired' });
    // A lock being taken right now has no owner.json yet; a clock step back is no negative age.
    expect(parseLockReply(['held', 'age -3', 'owner '])).toEqual({
      answer: 'held',
      ageSeconds: 0,
      owner: '',
    });
    expect(parseLockReply(['bash: mkdir: Permission denied'])).toBeUndefined();
  });
});
