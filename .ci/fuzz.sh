#!/usr/bin/env bash
# Fuzzing smoke run: schemathesis against a throw-away `serve --demo` server, signed in as the
# demo admin, queries and mutations alike. Fails only on server errors (HTTP 5xx, or a GraphQL
# error coded INTERNAL: see fuzz_hooks.py), printing the query and variables of each one.
#
#   .ci/fuzz.sh BINARY [ENGINE_URL]
#
# BINARY is a built trastienda server. ENGINE_URL, if given, is a PostgreSQL database URL to run
# on instead of a fresh SQLite file; the fuzzer writes into it, so give it a throw-away database.
# FUZZ_SEED and FUZZ_MAX_EXAMPLES (cases per operation) override the defaults below; FUZZ_ARGS adds
# schemathesis options, e.g. FUZZ_ARGS="--generation-allow-x00 false" to mask a known bug class.
set -euo pipefail

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 BINARY [ENGINE_URL] (BINARY must be executable)" >&2
  exit 2
fi
binary=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
seed=${FUZZ_SEED:-20261201}
max_examples=${FUZZ_MAX_EXAMPLES:-100}
read -ra extra_args <<<"${FUZZ_ARGS:-}"

venv=${XDG_CACHE_HOME:-$HOME/.cache}/trastienda-fuzz-venv
# (Re)install when the venv is missing or was built from other pins.
if ! cmp -s "$here/fuzz-requirements.txt" "$venv/fuzz-requirements.txt"; then
  echo "fuzz: installing schemathesis into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/fuzz-requirements.txt"
  cp "$here/fuzz-requirements.txt" "$venv/"
fi
py="$venv/bin/python"

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() {
  echo "fuzz: $*" >&2
  echo "--- server log (tail)" >&2
  tail -n 40 "$tmp/server.log" >&2 || true
  exit 1
}

port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
# Started from $tmp so that no .env of the caller's is read. A fuzzer that tries the admin's
# email with random passwords would lock it out: LOGIN_LOCKOUT_SECS=0 lets fuzz_hooks.py sign
# in again whenever a mutation has invalidated the admin's token.
(cd "$tmp" && exec env DATABASE_URL="${2:-sqlite://$tmp/fuzz.db?mode=rwc}" BIND_ADDR="127.0.0.1:$port" \
  LOGIN_RATE_LIMIT_PER_MINUTE=0 LOGIN_LOCKOUT_SECS=0 GRAPHQL_INTROSPECTION=on SHUTDOWN_TIMEOUT_SECS=2 \
  RUST_LOG=info LOG_FORMAT=text \
  "$binary" serve --demo >"$tmp/server.log" 2>&1) &
server_pid=$!

healthy() { "$py" -c "import urllib.request as u; u.urlopen('$base/health', timeout=2)" 2>/dev/null; }
deadline=$((SECONDS + 60))  # a debug build migrating a PostgreSQL database is slow
until healthy; do
  kill -0 "$server_pid" 2>/dev/null || die "the server exited before answering /health"
  [ "$SECONDS" -lt "$deadline" ] || die "the server did not answer /health on $base within 60 s"
  sleep 0.5
done

export TRASTIENDA_FUZZ_URL=$base/graphql TRASTIENDA_FUZZ_EMAIL=admin@demo.trastienda \
  TRASTIENDA_FUZZ_PASSWORD=demo-password-admin
TRASTIENDA_FUZZ_TOKEN=$(PYTHONPATH="$here" "$py" -c 'import fuzz_hooks; print(fuzz_hooks._login())') \
  || die "could not sign in as $TRASTIENDA_FUZZ_EMAIL"
export TRASTIENDA_FUZZ_TOKEN

# Fuzz dictionaries: with random strings alone nearly every create stops at "no department with
# code", "must not be empty" or "must not contain control characters". Real codes and plausible
# text, 60% of the time, get mutations through to the business rules.
bind() { # DICTIONARY ARGUMENT_PATH...: the argument at that path, of any field of any type
  local dictionary=$1 path; shift
  for path; do printf '"*.*.%s" = { dictionary = "%s", probability = 0.6 }\n' "$path" "$dictionary"; done
}
{
  cat <<'EOF'
[dictionaries]
department = { values = ["fin", "hr", "it", "ops", "sales"] }
account = { values = ["1000", "1100", "1200", "2000", "2100", "4000", "5000", "5100"] }
period = { values = ["2026-01", "2026-11", "2026-12", "1999-02"] }
year = { values = [2025, 2026, 2027] }
first = { values = [0, 1, 20, 100] }
count = { values = [1, 2, 5] }
email = { values = ["new.hire@demo.trastienda", "x@example.com", "admin@demo.trastienda"] }
currency = { values = ["EUR", "USD", "GBP"] }
code = { values = ["rnd", "legal-2", "fin"] }
password = { values = ["correct-horse-battery-staple"] }
text = { values = ["Ada", "Lovelace", "Laptop X1", "SN-0001", "Acme S.L.", "pcs", "VPN", "Quarterly close", "Ñandú 漢字 😀"] }

[parameters]
EOF
  bind department department input.department filter.department
  bind account input.accountCode 'input.lines[*].accountCode'
  bind period period
  bind year year input.year
  bind first first
  bind count input.headcount input.seats
  bind email input.email
  bind currency input.currency
  bind code input.code
  bind password input.password newPassword
  bind text reason body memo input.memo input.title input.vendor input.tag input.serialNumber input.product \
    input.name input.model input.displayName input.description input.counterparty input.unit input.system \
    input.sku input.position input.firstName input.lastName input.fullName input.reference input.level
} >"$tmp/schemathesis.toml"

# The Authorization header is set by fuzz_hooks.py's auth provider (TRASTIENDA_FUZZ_TOKEN first):
# a -H header would take precedence over it and could not be renewed. One worker and no example
# database keep a seed reproducible.
cmd=(st --config-file "$tmp/schemathesis.toml" run "$base/graphql" --checks trastienda_server_error
  --seed "$seed" --max-examples "$max_examples" --workers 1 --generation-database none
  --continue-on-failure --no-color "${extra_args[@]}")
echo "fuzz: server $base; running: ${cmd[*]}"
start=$SECONDS
status=0
(cd "$tmp" && PATH="$venv/bin:$PATH" PYTHONPATH="$here" SCHEMATHESIS_HOOKS=fuzz_hooks "${cmd[@]}") \
  2>&1 | tee "$tmp/fuzz.out" || status=$?
echo "fuzz: schemathesis exited $status after $((SECONDS - start)) s"

kill -0 "$server_pid" 2>/dev/null || die "the server died during the run"
if [ "$status" -ne 0 ]; then
  # The server's own lines for each failure, found by the requestId that the check printed.
  { grep -o 'requestId [0-9a-f-]*' "$tmp/fuzz.out" || true; } | cut -d' ' -f2 | sort -u | while read -r id; do
    echo "--- server log for requestId $id"
    grep -F "$id" "$tmp/server.log" || echo "(none)"
  done
  die "schemathesis found server errors (or could not run): see above; rerun with FUZZ_SEED=$seed"
fi
echo "fuzz: no server error"
