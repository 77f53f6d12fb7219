#!/usr/bin/env bash
# The auditor console in a real browser (CONTRACT.md §13): starts `trastienda serve --demo` on a
# free port over a throw-away SQLite file, drives GET /console in headless Chromium with
# tests/browser/console.test.js (playwright-core, the system's Chromium: no browser download),
# then stops the server and removes everything it made.
#
# Usage: .ci/console.sh PATH/TO/trastienda
# Builds nothing: pass a built binary. Needs Chromium (apt-get install -y chromium; or set
# CHROMIUM) and the script's node modules (cd tests/browser && npm ci).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 PATH/TO/trastienda" >&2; exit 2; }
bin=$(realpath "$1")
cd "$(dirname "$0")/.."
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$bin" ] || { echo "no server binary at $bin" >&2; exit 2; }
[ -x "$CHROMIUM" ] || { echo "no Chromium at $CHROMIUM: apt-get install -y chromium" >&2; exit 2; }
[ -d tests/browser/node_modules/playwright-core ] \
  || { echo "tests/browser has no node modules: (cd tests/browser && npm ci)" >&2; exit 2; }

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
# A demo run: throw-away JWT secret and audit signing key; nothing from the caller's environment.
(cd "$work" && exec env -u JWT_SECRET -u AUDIT_SIGNING_KEY -u DATABASE_URL -u BIND_ADDR RUST_LOG=warn \
  "$bin" serve --demo --bind "127.0.0.1:$port" --database-url "sqlite://$work/console.db?mode=rwc") \
  > "$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 120); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the server stopped:" >&2; cat "$work/server.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$base/health" >/dev/null || { echo "the server did not come up:" >&2; cat "$work/server.log" >&2; exit 1; }

if ! node tests/browser/console.test.js "$base"; then
  echo "--- server log" >&2
  cat "$work/server.log" >&2
  exit 1
fi
