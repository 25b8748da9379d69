#!/usr/bin/env bash
# Starts an OpenSSH server on 127.0.0.1:PORT that lets the current user in with a key made for it,
# for CI's smoke-ssh job (the action run with `uses: ./` against a real sshd). Not root: sshd then
# runs unprivileged and accepts only the user who started it, which is all the job needs.
#   .github/ci/start-sshd.sh DIR [PORT]   (PORT default 2222)
# Writes into DIR: host and client keys, sshd_config, sshd.pid, sshd.log, known_hosts. In GitHub
# Actions it sets the step outputs private-key (multi-line) and known-hosts.
set -euo pipefail
dir="$1"
port="${2:-2222}"
mkdir -p "$dir"
chmod 700 "$dir"
sshd_bin="$(command -v sshd || echo /usr/sbin/sshd)"

ssh-keygen -q -t ed25519 -N '' -C bw-smoke-host -f "$dir/host_key"
ssh-keygen -q -t ed25519 -N '' -C bw-smoke-client -f "$dir/client_key"
cp "$dir/client_key.pub" "$dir/authorized_keys"
cat >"$dir/sshd_config" <<CONFIG
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
CONFIG

"$sshd_bin" -f "$dir/sshd_config" -E "$dir/sshd.log"

# sshd puts itself in the background; ask for its host key until it answers (at most ~10 s).
for _ in $(seq 1 50); do
  if ssh-keyscan -p "$port" -t ed25519 127.0.0.1 >"$dir/known_hosts" 2>/dev/null && [ -s "$dir/known_hosts" ]; then
    break
  fi
  sleep 0.2
done
if ! [ -s "$dir/known_hosts" ]; then
  echo "sshd did not answer on 127.0.0.1:$port; its log:" >&2
  cat "$dir/sshd.log" >&2 || true
  exit 1
fi
echo "sshd listening on 127.0.0.1:$port (pid $(cat "$dir/sshd.pid")) for $(id -un)"

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo 'private-key<<BW_SMOKE_KEY_END'
    cat "$dir/client_key"
    echo 'BW_SMOKE_KEY_END'
    echo "known-hosts=$(cat "$dir/known_hosts")"
  } >>"$GITHUB_OUTPUT"
fi
