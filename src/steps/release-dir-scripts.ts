/**
 * The shell commands of the `release:` steps, as pure values: a fixed script and the environment
 * it reads. Nothing from the config or the run is ever written into a script's text; every value
 * reaches it as a variable, so a path with quotes or `$(…)` in it is data. The layout and every
 * state transition are described in docs/releases.md.
 *
 * Layout on each host, under the releases path P:
 *   P/releases/ID/                one directory per release
 *   P/current -> releases/ID      a relative symlink, replaced atomically (link beside it + rename)
 *   P/shared/                     paths linked into every release (`shared:`)
 *   P/.boerewors/releases.jsonl   the history: one line per event (prepared, live, bad)
 *
 * History lines are written by us only and always start `{"id":"ID","state":"STATE","run":"…",`,
 * with `"previous":"ID"}` last on `live` lines, so the scripts read them with sed and awk alone.
 * Ids are checked (`releaseIdProblem`) before they get here.
 */
import { releaseNameProblem } from '../contract/release-id.js';
import type { ReleaseAction, SharedPath } from './release-dirs.js';

/** One history line's fields after `id` and `state`, in this order. */
export interface HistoryEntry {
  /** Hex: tells a retry of this run from another run that chose the same release id. */
  readonly run: string;
  /** Hex: this attempt of the run (a re-run gets a new one): undo reverts only its own switches. */
  readonly attempt: string;
  /** ISO-8601. */
  readonly time: string;
  readonly who: string;
  /** The GitHub Actions run, or ''. */
  readonly runUrl: string;
}

export interface ReleaseDirTarget {
  /** The releases path on the host: `${NAME}` expanded, no `~` (see `releasesPathOn`). */
  readonly path: string;
  readonly release: string;
  readonly keep: number;
  readonly shared: readonly SharedPath[];
  readonly entry: HistoryEntry;
}

export interface ReleaseCommand {
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  /** What it does, in a line: what a dry run shows. */
  readonly summary: string;
}

/** The script and environment of one `release:` step on one host. */
export function releaseCommand(action: ReleaseAction, target: ReleaseDirTarget): ReleaseCommand {
  const env: Record<string, string> = {
    BW_RELEASES_PATH: target.path,
    BW_RELEASE: target.release,
    BW_RUN_ID: target.entry.run,
    BW_RUN_ATTEMPT: target.entry.attempt,
    BW_HISTORY: historyFields(target.entry),
  };
  if (action === 'prepare' || action === 'switch') env.BW_SHARED = sharedLines(target.shared);
  if (action === 'prune') env.BW_KEEP = String(target.keep);
  if (action === 'undo') env.BW_UNDO = '1';
  if (action === 'switch' || action === 'rollback' || action === 'undo') env.BW_ACTION = action;
  const body = { prepare: PREPARE, switch: SWITCH, prune: PRUNE, rollback: ROLLBACK, undo: ROLLBACK }[action];
  return { script: `${PRELUDE}${body}`, env, summary: summaryOf(action, target) };
}

function summaryOf(action: ReleaseAction, t: ReleaseDirTarget): string {
  const shared = t.shared.map((s) => (s.directory ? `${s.path}/` : s.path)).join(', ');
  switch (action) {
    case 'prepare':
      return `create ${t.path}/releases/${t.release}${shared ? `, link ${shared} from ${t.path}/shared/` : ''}`;
    case 'switch':
      return `${t.path}/current -> releases/${t.release}, atomically (a new link renamed over it)`;
    case 'prune':
      return `remove from ${t.path}/releases what the history allows: releases marked bad first; keep current, what a rollback from it goes back to, and the newest ${t.keep} that went live up to current`;
    case 'rollback':
      return `${t.path}/current -> the newest older release that went live and is not bad (or ROLLBACK_TO); mark the one left bad`;
    case 'undo':
      return `if ${t.path}/current is releases/${t.release} and this run switched to it: roll back as release: rollback does; otherwise nothing`;
  }
}

/**
 * Reads, on one host, the release `current` points at and when it first went live (its first
 * `live` line: a rollback or undo that went back to it later writes another, which must not make
 * an old release look new), as the line `current releases/ID first went live at TIME`
 * (`parseCurrentLive` reads it back); prints nothing else when there is no such release. Before
 * it, when this run (`run`, its BW_RUN_ID) already rolled a release back on the host (an earlier
 * part of a rollback spread over machines, or an earlier attempt), `this run rolled back
 * releases/ID at TIME` (`parseRolledBackInRun`). Changes nothing. What a rollback runs first on
 * every host, to learn the release it rolls back (docs/releases.md).
 */
export function currentLiveCommand(path: string, run: string): ReleaseCommand {
  return {
    script: `${PRELUDE}${CURRENT_LIVE}`,
    env: { BW_RELEASES_PATH: path, BW_RELEASE: 'none', BW_RUN_ID: run },
    summary: `read which release ${path}/current is, and when it first went live`,
  };
}

/**
 * `{ id, time }` from the line `current releases/ID first went live at TIME` that
 * `currentLiveCommand` prints, wherever it is in `output`; null when there is none, or when the
 * answer is malformed (`currentLiveProblem` says why). The host's answer is data: the id must be a
 * directory name in releases/ (`releaseNameProblem`: never `.` or `..`), the time ISO-8601 in UTC
 * (returned in `toISOString` form, so times compare as strings) or `never`.
 */
export function parseCurrentLive(output: string | undefined): { id: string; time: string } | null {
  const read = readAnswer(output ?? '');
  return 'problem' in read ? null : read.current;
}

/**
 * `{ id, time }` from the line `this run rolled back releases/ID at TIME`, wherever it is in
 * `output`; null when there is none, or when the answer is malformed (checked as `parseCurrentLive`).
 */
export function parseRolledBackInRun(output: string | undefined): { id: string; time: string } | null {
  const read = readAnswer(output ?? '');
  return 'problem' in read ? null : read.rolledBack;
}

/** Why the answer of `currentLiveCommand` is malformed (or too long), or undefined when it is not. */
export function currentLiveProblem(answer: { stdout: string; stdoutTruncated: boolean }): string | undefined {
  if (answer.stdoutTruncated) return 'an answer of more than 64 KiB (two lines at most are expected)';
  const read = readAnswer(answer.stdout);
  return 'problem' in read ? read.problem : undefined;
}

type Seen = { id: string; time: string } | null;

/** The two lines an answer may hold: each at most once, each with a schema. */
const ANSWER_LINES = {
  current: {
    start: 'current releases/',
    line: /^current releases\/(\S+) first went live at (\S+)$/,
    form: 'current releases/ID first went live at TIME',
    never: true,
  },
  rolledBack: {
    start: 'this run rolled back releases/',
    line: /^this run rolled back releases\/(\S+) at (\S+)$/,
    form: 'this run rolled back releases/ID at TIME',
    never: false,
  },
} as const;
const UTC_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z$/;

function readAnswer(output: string): { current: Seen; rolledBack: Seen } | { problem: string } {
  const seen: { current: Seen; rolledBack: Seen } = { current: null, rolledBack: null };
  const shown = (text: string): string => JSON.stringify(text.length > 200 ? `${text.slice(0, 199)}…` : text);
  for (const line of output.split('\n')) {
    for (const [key, kind] of Object.entries(ANSWER_LINES) as [
      keyof typeof seen,
      (typeof ANSWER_LINES)['current' | 'rolledBack'],
    ][]) {
      if (!line.startsWith(kind.start)) continue;
      if (seen[key]) return { problem: `more than one "${kind.start}…" line in its answer: ${shown(line)}` };
      const m = kind.line.exec(line);
      if (!m) return { problem: `"${kind.form}" expected, got ${shown(line)}` };
      const [, id, time] = m as unknown as [string, string, string];
      const idProblem = releaseNameProblem(id);
      if (idProblem) return { problem: `a release that is ${idProblem}` };
      if (kind.never && time === 'never') {
        seen[key] = { id, time };
        continue;
      }
      const ms = UTC_TIME.test(time) ? Date.parse(time) : NaN;
      if (!Number.isFinite(ms)) return { problem: `a time that is not ISO-8601 UTC: ${shown(time)}` };
      seen[key] = { id, time: new Date(ms).toISOString() };
    }
  }
  return seen;
}

/** `"run":"…","attempt":"…","time":"…","who":"…","runUrl":"…"`: what follows id and state on a history line. */
export function historyFields(entry: HistoryEntry): string {
  return [
    `"run":${JSON.stringify(entry.run)}`,
    `"attempt":${JSON.stringify(entry.attempt)}`,
    `"time":${JSON.stringify(entry.time)}`,
    `"who":${JSON.stringify(entry.who)}`,
    `"runUrl":${JSON.stringify(entry.runUrl)}`,
  ].join(',');
}

/**
 * One line per shared path: `d` or `f`, the `../` that climb from the link's directory to P, and
 * the path, separated by tabs (which a shared path cannot hold). `storage/` → `d\t../../\tstorage`,
 * `public/uploads/` → `d\t../../../\tpublic/uploads`: relative links keep working when P moves.
 */
export function sharedLines(shared: readonly SharedPath[]): string {
  return shared
    .map((item) => {
      const up = '../'.repeat(item.path.split('/').length + 1);
      return `${item.directory ? 'd' : 'f'}\t${up}\t${item.path}`;
    })
    .join('\n');
}

/** The releases path as the host's shell should see it: `~/x` is `x` over SSH (sshd starts in the home directory), `HOME/x` on this machine. */
export function releasesPathOn(path: string, local: boolean, home: string): string {
  if (path !== '~' && !path.startsWith('~/')) return path;
  const rest = path.slice(2);
  if (local) return rest ? `${home}/${rest}` : home;
  return rest || '.';
}

const PRELUDE = `P=$BW_RELEASES_PATH
R=$P/releases/$BW_RELEASE
H=$P/.boerewors/releases.jsonl
fail() { echo "$*" >&2; exit 1; }
moved() { printf 'bw-release: %s %s %s\n' "$BW_ACTION" "\${1:--}" "\${2:--}"; }
current_id() {
  l=$(readlink "$P/current" 2>/dev/null) || return 0
  case $l in releases/*|*/releases/*) l=\${l%/}; l=\${l##*/} ;; *) return 0 ;; esac
  case $l in ''|.|..|*[!A-Za-z0-9._-]*) return 0 ;; esac
  printf '%s' "$l"
}
events() {
  [ -f "$H" ] || return 0
  sed -n -e 's/^{"id":"\\([A-Za-z0-9._-]*\\)","state":"\\([a-z]*\\)".*"previous":"\\([A-Za-z0-9._-]*\\)"}$/\\1 \\2 \\3/p' -e t \\
    -e 's/^{"id":"\\([A-Za-z0-9._-]*\\)","state":"\\([a-z]*\\)".*/\\1 \\2/p' "$H"
}
switch_to() {
  rm -f "$P/.boerewors/current."*
  ln -s "releases/$1" "$P/.boerewors/current.$$"
  mv -T "$P/.boerewors/current.$$" "$P/current"
}
tab=$(printf '\\t')
`;

const PREPARE = `mkdir -p "$P/releases" "$P/shared" "$P/.boerewors"
if [ -e "$R" ] || [ -L "$R" ]; then
  if ! grep -qF "{\\"id\\":\\"$BW_RELEASE\\",\\"state\\":\\"prepared\\",\\"run\\":\\"$BW_RUN_ID\\"," "$H" 2>/dev/null; then
    grep -qF "{\\"id\\":\\"$BW_RELEASE\\",\\"state\\":\\"live\\"," "$H" 2>/dev/null &&
      fail "release $BW_RELEASE already exists in $P/releases and was not prepared by this run: it went live in another run (current is releases/$(current_id)); this run changes nothing here (give a new release id to release again)"
    fail "release $BW_RELEASE already exists in $P/releases and was not prepared by this run: refusing to reuse it; give this run another release id"
  fi
  echo "releases/$BW_RELEASE was prepared earlier in this run: kept"
else
  printf '{"id":"%s","state":"prepared",%s}\\n' "$BW_RELEASE" "$BW_HISTORY" >>"$H"
  mkdir "$R"
  echo "prepared $R"
fi
while IFS=$tab read -r kind up rel; do
  [ -n "$rel" ] || continue
  if [ "$kind" = d ]; then
    mkdir -p "$P/shared/$rel"
  elif [ ! -e "$P/shared/$rel" ]; then
    fail "shared file $P/shared/$rel does not exist: create it once on the host (shared files are not shipped: they outlive releases)"
  fi
  [ "$(readlink "$R/$rel" 2>/dev/null)" != "\${up}shared/$rel" ] || continue
  rm -rf "$R/$rel"
  mkdir -p "$(dirname "$R/$rel")"
  ln -s "\${up}shared/$rel" "$R/$rel"
  echo "linked $rel -> \${up}shared/$rel"
done <<EOF
$BW_SHARED
EOF
`;

// Signals are ignored from here on: the switch is a link and a rename, and a cancel must find
// `current` and the history agreeing, not stop between them.
const SWITCH = `trap '' INT TERM HUP
[ -d "$R" ] || fail "$R does not exist: a release: prepare step (and the upload into it) must come before release: switch"
mkdir -p "$P/.boerewors"
if [ -e "$P/current" ] && [ ! -L "$P/current" ]; then
  fail "$P/current is not a symlink (a real directory or file): refusing to replace it; move it into $P/releases/ once, then switch"
fi
while IFS=$tab read -r kind up rel; do
  [ -n "$rel" ] || continue
  [ -L "$R/$rel" ] || fail "$R/$rel is no longer the link to shared/$rel (did the upload replace it? leave shared paths out of what you ship): refusing to switch"
done <<EOF
$BW_SHARED
EOF
prev=$(current_id)
if [ "$prev" = "$BW_RELEASE" ]; then
  echo "current is already releases/$BW_RELEASE"
  moved "$prev" "$prev"
  exit 0
fi
switch_to "$BW_RELEASE"
printf '{"id":"%s","state":"live",%s,"previous":"%s"}\\n' "$BW_RELEASE" "$BW_HISTORY" "$prev" >>"$H"
echo "current -> releases/$BW_RELEASE (was \${prev:-nothing})"
moved "$prev" "$BW_RELEASE"
`;

const PRUNE = `cur=$(current_id)
if [ ! -f "$H" ]; then
  echo "no history in $H yet: nothing to prune"
  exit 0
fi
present=" $(ls "$P/releases" 2>/dev/null | paste -sd ' ' -) "
decisions=$(events | awk -v cur="$cur" -v keep="$BW_KEEP" -v present="$present" '
  { id = $1; st = $2 }
  st == "prepared" && !(id in prepared) { prepared[id] = NR }
  st == "live" { if (!(id in live)) { live[id] = ++n; order[n] = id }; bad[id] = 0 }
  st == "bad" { bad[id] = 1 }
  END {
    at = (cur in live) ? live[cur] : n + 1
    for (i = at - 1; i >= 1 && target == ""; i--)
      if (!bad[order[i]] && index(present, " " order[i] " ")) target = order[i]
    kept = (cur in live) && !bad[cur]
    if (target != "") kept++
    for (i = n; i >= 1; i--) {
      id = order[i]
      if (id == cur) print "keep", id, "current"
      else if (bad[id]) print "remove", id, "marked bad by a rollback"
      else if (id == target) print "keep", id, "what a rollback from current goes back to"
      else if (i > at) print "keep", id, "went live after current (before a rollback): takes no keep slot"
      else if (!index(present, " " id " ")) print "gone", id
      else if (++kept <= keep) print "keep", id, "live"
      else print "remove", id, "older than the newest " keep " live releases"
    }
    for (id in prepared) {
      if (id in live) continue
      if ((cur in prepared) && prepared[id] < prepared[cur]) print "remove", id, "never went live, older than current"
      else print "keep", id, "never went live, not older than current"
    }
  }')
removed=0
while read -r verdict id why; do
  [ "$verdict" = remove ] || continue
  case $id in ''|.|..|*[!A-Za-z0-9._-]*) continue ;; esac
  [ "$id" != "$cur" ] || continue
  [ -e "$P/releases/$id" ] || [ -L "$P/releases/$id" ] || continue
  rm -rf "$P/releases/$id"
  rm -f "$P/releases/.$id.bw-manifest" # what an upload with link-from kept about it
  echo "pruned releases/$id: $why"
  removed=$((removed + 1))
done <<EOF
$decisions
EOF
nl='
'
unknown=
for d in "$P"/releases/*; do
  [ -e "$d" ] || [ -L "$d" ] || continue
  id=\${d##*/}
  case "$nl$decisions$nl" in *"\${nl}keep $id "*|*"\${nl}remove $id "*) ;; *) unknown="$unknown $id" ;; esac
done
echo "pruned $removed; releases/ holds: $(ls "$P/releases" | paste -sd ' ' -)"
[ -z "$unknown" ] || echo "left alone, not in the history:$unknown"
`;

// awk alone, no pipes: the shell runs with pipefail, and a grep that matches nothing (or a head
// that stops reading) would fail the read.
const CURRENT_LIVE = `b=$(awk -v run="$BW_RUN_ID" 'index($0, "\\"state\\":\\"bad\\",\\"run\\":\\"" run "\\",") { l = $0 } END { print l }' "$H" 2>/dev/null || true)
bid=$(printf '%s' "$b" | sed -n 's/^{"id":"\\([A-Za-z0-9._-]*\\)".*/\\1/p')
bt=$(printf '%s' "$b" | sed -n 's/.*"time":"\\([^"]*\\)".*/\\1/p')
[ -z "$bid" ] || echo "this run rolled back releases/$bid at $bt"
cur=$(current_id)
if [ -z "$cur" ]; then
  echo "$P/current does not point into $P/releases"
  exit 0
fi
t=$(awk -v id="$cur" 'index($0, "{\\"id\\":\\"" id "\\",\\"state\\":\\"live\\",") == 1 { if (match($0, /"time":"[^"]*"/)) print substr($0, RSTART + 8, RLENGTH - 9); exit }' "$H" 2>/dev/null || true)
echo "current releases/$cur first went live at \${t:-never}"
`;

// Also undo (BW_UNDO=1): the same, only when current is this run's release and this attempt of
// the run switched to it (the last `live` line of it carries BW_RUN_ATTEMPT). ROLLBACK_FROM (set
// by the run's first stage, or as a var) leaves hosts on another release where they are.
const ROLLBACK = `trap '' INT TERM HUP
cur=$(current_id)
stay_fail() { moved "$cur" "$cur"; fail "$@"; }
if [ "\${BW_UNDO:-}" = 1 ] && [ "$cur" != "$BW_RELEASE" ]; then
  shown=\${cur:+releases/$cur}
  echo "current is \${shown:-not a release}, not this run's release $BW_RELEASE: nothing to undo"
  moved "$cur" "$cur"
  exit 0
fi
if [ "\${BW_UNDO:-}" = 1 ]; then
  switched=$(grep -F "{\\"id\\":\\"$BW_RELEASE\\",\\"state\\":\\"live\\"," "$H" 2>/dev/null | tail -n 1)
  case $switched in
    *"\\"attempt\\":\\"$BW_RUN_ATTEMPT\\","*) ;;
    *)
      echo "current is releases/$cur, but this run did not switch to it (it went live in an earlier run or attempt): nothing to undo"
      moved "$cur" "$cur"
      exit 0
      ;;
  esac
fi
[ -n "$cur" ] || stay_fail "$P/current does not point into $P/releases: nothing to roll back"
if [ "\${BW_UNDO:-}" != 1 ] && [ -z "\${ROLLBACK_TO:-}" ] && [ -n "\${ROLLBACK_FROM:-}" ] && [ "$cur" != "$ROLLBACK_FROM" ]; then
  echo "current is releases/$cur, not releases/$ROLLBACK_FROM (the release being rolled back): nothing to roll back here"
  moved "$cur" "$cur"
  exit 0
fi
if [ -n "\${ROLLBACK_TO:-}" ]; then
  target=$ROLLBACK_TO
  case $target in .|..|*[!A-Za-z0-9._-]*) stay_fail "ROLLBACK_TO=$target is not a release id" ;; esac
  if [ "$target" = "$cur" ]; then
    echo "current is releases/$target already, as ROLLBACK_TO asks: nothing to roll back"
    moved "$cur" "$cur"
    exit 0
  fi
  [ -d "$P/releases/$target" ] || stay_fail "ROLLBACK_TO=$target: $P/releases/$target does not exist"
  if events | awk -v id="$target" '$1 == id && $2 == "live" { b = 0 } $1 == id && $2 == "bad" { b = 1 } END { exit !b }'; then
    echo "releases/$target was marked bad earlier; going back to it as ROLLBACK_TO asks"
  fi
else
  candidates=$(events | awk -v cur="$cur" '
    $2 == "live" { if (!($1 in pos)) { pos[$1] = ++n; order[n] = $1 }; bad[$1] = 0 }
    $2 == "bad" { bad[$1] = 1 }
    END { if (!(cur in pos)) { print "?"; exit } for (i = pos[cur] - 1; i >= 1; i--) if (!bad[order[i]]) print order[i] }')
  [ "$candidates" != "?" ] || stay_fail "current release $cur never went live according to $H: name the release to go back to with ROLLBACK_TO=ID"
  target=
  for id in $candidates; do
    if [ -d "$P/releases/$id" ]; then
      target=$id
      break
    fi
  done
  [ -n "$target" ] || stay_fail "no release to roll back to: none older than $cur went live, is not marked bad and is still in $P/releases; current stays releases/$cur"
fi
switch_to "$target"
printf '{"id":"%s","state":"bad",%s}\\n' "$cur" "$BW_HISTORY" >>"$H"
printf '{"id":"%s","state":"live",%s,"previous":"%s"}\\n' "$target" "$BW_HISTORY" "$cur" >>"$H"
echo "rolled back: current -> releases/$target (was releases/$cur, now marked bad)"
moved "$cur" "$target"
`;
