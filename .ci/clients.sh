#!/usr/bin/env bash
# The typed clients of examples/ (CONTRACT.md §12): builds both from schema.graphql, so a breaking
# schema change fails here, checks that the allow-list manifest example is up to date, then runs
# each client's operations against a throw-away `serve --demo` server on a free port over a fresh
# SQLite file. The server runs with PERSISTED_OPERATIONS=allowlist and that manifest, so once
# persisted operations exist, the clients also prove their manifest lets them through.
#
#   .ci/clients.sh SERVER_BINARY
#
# The Rust client builds in CLIENT_TARGET_DIR (default ~/.cache/trastienda-client-target) to stay
# warm between runs; the TypeScript client installs with `npm ci` from its package-lock.json.
set -euo pipefail

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 SERVER_BINARY (it must be executable)" >&2
  exit 2
fi
binary=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in node npm cargo curl; do
  command -v "$tool" >/dev/null || { echo "clients: $tool is missing" >&2; exit 1; }
done

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { printf 'clients: %s\n' "$*"; }
die() {
  echo "clients: $*" >&2
  if [ -f "$tmp/server.log" ]; then echo "--- server log (tail)" >&2; tail -n 40 "$tmp/server.log" >&2; fi
  exit 1
}

say "TypeScript: npm ci, codegen from schema.graphql, tsc"
(
  cd "$root/examples/ts-client"
  npm ci --no-audit --no-fund --loglevel=error
  npm run --silent codegen -- --silent
  npm run --silent typecheck
  npm run --silent build
) || die "the TypeScript client does not build against schema.graphql"

say "Rust: cargo build (graphql_client derives from schema.graphql)"
CARGO_TARGET_DIR="${CLIENT_TARGET_DIR:-$HOME/.cache/trastienda-client-target}" \
  cargo build --locked --quiet --manifest-path "$root/examples/rust-client/Cargo.toml" \
  || die "the Rust client does not build against schema.graphql"
rust_client="${CLIENT_TARGET_DIR:-$HOME/.cache/trastienda-client-target}/debug/trastienda-rust-client"

say "allow-list manifest: examples/allowlist/manifest.json is what the operations give"
node "$root/examples/allowlist/build-manifest.mjs" >"$tmp/manifest.json"
diff -u "$root/examples/allowlist/manifest.json" "$tmp/manifest.json" \
  || die "examples/allowlist/manifest.json is stale: node examples/allowlist/build-manifest.mjs > examples/allowlist/manifest.json"

port=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
base=http://127.0.0.1:$port
say "starting serve --demo on $base"
# From $tmp, so that no .env of the caller's is read.
(cd "$tmp" && exec env DATABASE_URL="sqlite://$tmp/demo.db?mode=rwc" BIND_ADDR="127.0.0.1:$port" \
  PERSISTED_OPERATIONS=allowlist PERSISTED_OPERATIONS_MANIFEST="$root/examples/allowlist/manifest.json" \
  SHUTDOWN_TIMEOUT_SECS=2 RUST_LOG=warn "$binary" serve --demo >"$tmp/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "$base/ready" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || die "the server exited during start-up"
  sleep 0.5
done
curl -fsS -o /dev/null "$base/ready" || die "the server did not become ready"

say "Rust client"
TRASTIENDA_URL=$base "$rust_client" || die "the Rust client failed against the demo server"
say "TypeScript client"
(cd "$root/examples/ts-client" && TRASTIENDA_URL=$base node dist/main.js) \
  || die "the TypeScript client failed against the demo server"
say "both clients built from schema.graphql and ran their operations"
