/**
 * What runs on the host for a tar upload: one script, the same over SSH and on `local:` hosts (it
 * goes through the transport's exec, with the archive on its stdin). Built without I/O; its
 * parameters travel as variables (quoted exports), never as script text.
 *
 * The conversation on one exec channel (every line it prints starts with `bw-upload: `):
 *   1. it checks what it needs (`tar`; `zstd` or `gzip` when compressing) and answers `no-tar` /
 *      `no-gzip` (exit 3 / 4) before anything is written, so the controller can fall back; asked
 *      for zstd without `zstd`, it says `no-zstd` and takes gzip instead;
 *   2. it creates a staging directory next to `to` (`.bw-upload-NONCE`: same filesystem, so the
 *      final move is a rename) and removes it on every way out;
 *   3. with `link-from`: it reads the controller's manifest (BWU_WANT_BYTES bytes of lines
 *      `SHA256 MODE PATH`), answers `have N` for each line whose file it already has, and hard-links
 *      those into the staging tree. It knows what it has from the manifest stored with the upload
 *      that made `link-from` when nothing there changed since (find -cnewer), else by hashing;
 *   4. it says `ready`; only then does the controller send the archive, which `tar -x` unpacks into
 *      the staging tree. The archive's last entry is a marker named after the nonce: without it the
 *      archive ended early (cancel, lost connection) and nothing is moved;
 *   5. it moves the tree into place: a rename when `to` is new; when `to` is an existing directory,
 *      after refusing any entry that would write through a symlink or replace a directory with a
 *      file (or the reverse), it merges with `cp -a -l` (hard links: no second copy of the data);
 *   6. with `link-from` it stores the manifest it was sent next to `to` (`.NAME.bw-manifest`, for
 *      the next upload to link from) and removes manifests whose directory is gone; then `done`.
 * The controller sends the lockstep parts (manifest, then the archive after `ready`) only when the
 * script asks, so a plain `head -c` never reads ahead into the archive.
 */

import type { Codec } from './codec.js';

/** Lines the script prints on stdout start with this. */
export const PROTOCOL_PREFIX = 'bw-upload: ';

/** Exit codes that mean "cannot do it this way" rather than "failed". */
export const EXIT_NO_TAR = 3;
export const EXIT_NO_GZIP = 4;

export interface HostScriptParams {
  /** The target as the user wrote it (after ${NAME} expansion); `~` and `~/…` are the home. */
  readonly to: string;
  /** `directory`: the tree goes to `to`; `file`: its single file becomes `to`. */
  readonly kind: 'directory' | 'file';
  /** 16 hex digits: names the staging directory (one per upload). */
  readonly nonce: string;
  /** The archive's completion marker (markerName; the same for every host of one archive). */
  readonly marker: string;
  readonly codec: Codec;
  /** With link-from: the directory on the host, and the manifest's size in bytes. */
  readonly linkFrom?: { readonly path: string; readonly manifestBytes: number };
}

/** The archive entry (empty) whose presence proves the archive arrived whole. */
export function markerName(id: string): string {
  return `.bw-done-${id}`;
}

/** The single file entry of a file upload. */
export const FILE_ENTRY = 'f';

/** Variables the script reads (all quoted exports, none interpreted). */
export function hostScriptEnv(p: HostScriptParams): Record<string, string> {
  if (!/^[0-9a-f]{16}$/.test(p.nonce)) throw new TypeError(`invalid upload nonce ${p.nonce}`);
  if (!/^\.bw-done-[0-9a-f]{16}$/.test(p.marker)) throw new TypeError(`invalid upload marker ${p.marker}`);
  return {
    BWU_TO: p.to,
    BWU_KIND: p.kind,
    BWU_NONCE: p.nonce,
    BWU_MARKER: p.marker,
    BWU_CODEC: p.codec,
    BWU_LINK_FROM: p.linkFrom?.path ?? '',
    BWU_WANT_BYTES: String(p.linkFrom?.manifestBytes ?? 0),
  };
}

/**
 * The script. POSIX sh that bash runs (the default shell, `-eo pipefail`): every command that may
 * fail is tested, so errexit never ends it without saying why.
 */
export const HOST_SCRIPT = [
  'say() { printf \'bw-upload: %s\\n\' "$*"; }',
  'die() { printf \'bw-upload: error: %s\\n\' "$*" >&2; exit 1; }',
  "home() { case $1 in '~') printf '%s' \"$HOME\" ;; '~/'*) printf '%s/%s' \"$HOME\" \"${1#'~/'}\" ;; *) printf '%s' \"$1\" ;; esac; }",
  'command -v tar >/dev/null 2>&1 || { say no-tar; exit 3; }',
  'codec=$BWU_CODEC',
  'if [ "$codec" = zstd ] && ! command -v zstd >/dev/null 2>&1; then say no-zstd; codec=gzip; fi',
  'if [ "$codec" = gzip ] && ! command -v gzip >/dev/null 2>&1; then say no-gzip; exit 4; fi',
  'to=$(home "$BWU_TO"; printf x); to=${to%x}',
  'parent=$(dirname -- "$to"; printf x); parent=${parent%?x}',
  'if [ "$BWU_KIND" = file ]; then',
  '  if [ -d "$to" ]; then die "$to is a directory: end the target with / to upload into it"; fi',
  'elif [ -e "$to" ] || [ -L "$to" ]; then',
  '  [ -d "$to" ] || die "$to exists and is not a directory"',
  'fi',
  'err=$(mkdir -p -- "$parent" 2>&1) || die "$err"',
  '# Absolute: the link-from step reads the staging files after a cd into link-from.',
  'abs=$(cd -- "$parent" && pwd && printf x) || die "cannot enter $parent"; abs=${abs%?x}',
  'stage=$abs/.bw-upload-$BWU_NONCE',
  'tree=$stage/t',
  'cleanup() { chmod -R u+w -- "$stage" 2>/dev/null || :; rm -rf -- "$stage" 2>/dev/null || :; }',
  '# A cancel TERMs our process group and KILLs it 2 s later: the removal of a large staging tree',
  '# runs in a session of its own, out of that group, so the KILL cannot cut it short.',
  'detached_cleanup() {',
  '  trap - EXIT',
  '  if command -v setsid >/dev/null 2>&1; then',
  '    setsid sh -c \'chmod -R u+w -- "$1" 2>/dev/null; rm -rf -- "$1"\' sh "$stage" </dev/null >/dev/null 2>&1 &',
  '  else',
  '    cleanup',
  '  fi',
  '  exit 143',
  '}',
  'trap cleanup EXIT',
  'trap detached_cleanup TERM INT HUP PIPE',
  'err=$(mkdir -- "$stage" 2>&1) || { trap - EXIT; die "$err"; }',
  'mkdir -- "$tree"',
  'links=0',
  'if [ -n "$BWU_LINK_FROM" ]; then',
  '  head -c "$BWU_WANT_BYTES" > "$stage/want"',
  '  L=$(home "$BWU_LINK_FROM"; printf x); L=${L%x}',
  '  : > "$stage/have"',
  '  if [ -d "$L" ] && P=$(cd -P -- "$L" && pwd -P); then',
  '    stored=$(dirname -- "$P")/.$(basename -- "$P").bw-manifest',
  '    uid=$(id -u)',
  '    owner=; [ "$uid" = 0 ] || owner="-o ! -user $uid"',
  '    # The stored manifest is trusted when nothing under link-from changed since it was written',
  '    # (contents, modes, links: ctime) and, unless root, every file is ours to hard-link.',
  '    if [ -f "$stored" ] && stale=$(cd -- "$P" && find . \\( -cnewer "$stored" $owner \\) -print 2>/dev/null | head -n 1) && [ -z "$stale" ]; then',
  '      say "linking from manifest"',
  '      cp -- "$stored" "$stage/known"',
  '    else',
  '      say "linking from hashes"',
  '      owned=; [ "$uid" = 0 ] || owned="-user $uid"',
  '      for m in $(awk \'{ print $2 }\' "$stage/want" | sort -u); do',
  '        (cd -- "$P" && find . -type f -perm "$m" $owned -exec sha256sum -- {} + 2>/dev/null) |',
  '          awk -v m="$m" \'length($1) == 64 && substr($0, 65, 4) == "  ./" { print $1 " " m " " substr($0, 69) }\' || :',
  '      done > "$stage/known"',
  '    fi',
  '    awk \'NR == FNR { k[$0] = 1; next } ($0 in k) { print FNR }\' "$stage/known" "$stage/want" > "$stage/have"',
  '    awk \'NR == FNR { h[$1] = 1; next } (FNR in h) { sub(/^[^ ]* [^ ]* /, ""); print }\' "$stage/have" "$stage/want" > "$stage/links"',
  '    links=$(wc -l < "$stage/have" | tr -d \' \')',
  '    if [ "$links" -gt 0 ]; then',
  '      # (Not `| grep -q`: under pipefail, cp\'s SIGPIPE would read as "no --parents".)',
  '      case $(cp --help 2>&1) in *--parents*) gnu_cp=1 ;; *) gnu_cp= ;; esac',
  '      if [ -n "$gnu_cp" ]; then',
  '        err=$(cd -- "$P" && tr \'\\n\' \'\\0\' < "$stage/links" | xargs -0 cp -l --parents -t "$tree" -- 2>&1) || die "cannot hard-link from $L: $err"',
  '      else',
  '        while IFS= read -r f; do',
  '          case $f in */*) mkdir -p -- "$tree/${f%/*}" ;; esac',
  '          err=$(ln -- "$P/$f" "$tree/$f" 2>&1) || die "cannot hard-link from $L: $err"',
  '        done < "$stage/links"',
  '      fi',
  '    fi',
  '  else',
  '    say "nothing to link: $L is not a directory"',
  '  fi',
  '  sed \'s/^/bw-upload: have /\' "$stage/have"',
  'fi',
  'say ready',
  'case $codec in',
  '  zstd) zstd -d -c -q | tar -x -p -f - -C "$tree" || die "tar could not unpack the upload into $parent" ;;',
  '  gzip) tar -x -z -p -f - -C "$tree" || die "tar could not unpack the upload into $parent" ;;',
  '  *) tar -x -p -f - -C "$tree" || die "tar could not unpack the upload into $parent" ;;',
  'esac',
  'marker=$tree/$BWU_MARKER',
  '[ -f "$marker" ] || die "the archive ended early (interrupted): nothing was written to $to"',
  'rm -f -- "$marker"',
  'if [ "$BWU_KIND" = file ]; then',
  '  err=$(mv -f -- "$tree/f" "$to" 2>&1) || die "$err"',
  'elif [ -d "$to" ]; then',
  '  bad=$(cd -- "$tree" && find . ! -name . -exec sh -c \'',
  '    t=$1; shift',
  '    for e do',
  '      d=$t/${e#./}',
  '      if [ -d "$e" ] && [ ! -L "$e" ]; then',
  '        if [ -L "$d" ] || { [ -e "$d" ] && [ ! -d "$d" ]; }; then printf "%s\\n" "$d"; exit 1; fi',
  '      elif [ -d "$d" ] && [ ! -L "$d" ]; then printf "%s\\n" "$d"; exit 1; fi',
  '    done\' sh "$to" {} + 2>&1) || :',
  '  [ -z "$bad" ] || die "refused before writing anything: the upload would replace or write through $bad"',
  '  err=$(cp -a -l -f -- "$tree/." "$to/" 2>&1) || err=$(cp -a --remove-destination -- "$tree/." "$to/" 2>&1) || die "$err"',
  'else',
  '  err=$(mv -- "$tree" "$to" 2>&1) || die "$err"',
  'fi',
  'if [ -n "$BWU_LINK_FROM" ] && [ "$BWU_KIND" = directory ] && P=$(cd -P -- "$to" && pwd -P); then',
  '  dir=$(dirname -- "$P")',
  '  stored=$dir/.$(basename -- "$P").bw-manifest',
  '  # Its time is what later changes are compared with (find -cnewer): let the clock tick past it,',
  '  # so that a change made right after this upload cannot share its timestamp.',
  '  if mv -f -- "$stage/want" "$stored" 2>/dev/null && touch -- "$stored"; then',
  '    sleep 0.02 2>/dev/null || sleep 1',
  '    for f in "$dir"/.*.bw-manifest; do',
  '      n=${f##*/}; n=${n#.}; n=${n%.bw-manifest}',
  '      [ -e "$dir/$n" ] || rm -f -- "$f"',
  '    done',
  '  fi',
  'fi',
  'say "done $links"',
].join('\n');
