#!/usr/bin/env bash
# Runs every scoped list and filter through the API of a server over a seeded PostgreSQL database,
# with auto_explain logging each statement's actual plan (docs/performance.md):
#
#   createdb big && DATABASE_URL=postgres:///big trastienda seed --invoices 500000 --employees 20000
#   psql big -c "alter database big set session_preload_libraries = 'auto_explain'" \
#            -c "alter database big set auto_explain.log_min_duration = 0" \
#            -c "alter database big set auto_explain.log_analyze = on"
#   DATABASE_URL=postgres:///big BIND_ADDR=127.0.0.1:18181 JWT_SECRET=... trastienda serve &
#   PGURL=postgres:///big benches/explain-lists.sh     # then read PostgreSQL's log
#
# Each GraphQL query is preceded in the log by a `select 'EXPLAIN-MARK …'` naming it.
set -euo pipefail
URL=${URL:-http://127.0.0.1:18181/graphql}
login='mutation { login(email: "admin@seed.example", password: "seed-password-1234") { accessToken user { id } } }'
resp=$(curl -s "$URL" -H 'content-type: application/json' -d "$(jq -n --arg q "$login" '{query:$q}')")
TOKEN=$(echo "$resp" | jq -r .data.login.accessToken)
ADMIN=$(echo "$resp" | jq -r .data.login.user.id)
q() { curl -s "$URL" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" -d "$(jq -n --arg q "$1" '{query:$q}')"; }
INV=$(q '{ invoices(first: 1, filter: {department: "d07"}) { nodes { id } } }' | jq -r '.data.invoices.nodes[0].id')
while IFS= read -r query; do
  [ -z "$query" ] && continue
  query=${query//@INV@/$INV}; query=${query//@ADMIN@/$ADMIN}
  psql "$PGURL" -qAtc "select 'EXPLAIN-MARK ' || \$\$${query}\$\$" >/dev/null
  out=$(q "$query")
  echo "$out" | jq -e '.errors == null' >/dev/null || { echo "FAILED: $query -> $out"; exit 1; }
done <<'QUERIES'
{ invoices(first: 50, filter: {department: "d07"}) { nodes { id number total status lines { description netAmount } department { name } createdBy { email } } } }
{ invoices(first: 50, filter: {department: "d07", status: APPROVED}) { nodes { id number } } }
{ invoices(first: 50, filter: {department: "d07", kind: PAYABLE}) { nodes { id number } } }
{ invoices(first: 50, filter: {overdueOn: "2026-12-01"}) { nodes { id number } } }
{ invoices(first: 50, filter: {department: "d07", overdueOn: "2026-12-01"}) { nodes { id number } } }
{ invoices(first: 50) { totalCount nodes { id number } } }
{ invoice(id: "@INV@") { number total status } }
{ journalEntries(first: 50, filter: {department: "d07"}) { nodes { id memo } } }
{ employees(first: 50, filter: {department: "d07"}) { nodes { id firstName } } }
{ employees(first: 50, filter: {department: "d07", status: ACTIVE}) { nodes { id firstName } } }
{ auditLog(first: 50) { nodes { seq action } } }
{ auditLog(first: 50, filter: {action: "approveInvoice"}) { nodes { seq action } } }
{ auditLog(first: 50, filter: {department: "d07"}) { nodes { seq action } } }
{ auditLog(first: 50, filter: {entityType: "Invoice", entityId: "@INV@"}) { nodes { seq action } } }
{ auditLog(first: 50, filter: {outcome: SUCCESS}) { nodes { seq action } } }
{ auditLog(first: 50, filter: {actorId: "@ADMIN@"}) { nodes { seq action } } }
{ auditLog(first: 50, filter: {from: "2026-06-01T00:00:00Z", to: "2026-06-02T00:00:00Z"}) { nodes { seq action } } }
{ auditTrail(entityType: "Invoice", entityId: "@INV@") { seq action } }
{ leaveRequests(first: 50, filter: {department: "d07"}) { nodes { id } } }
{ assets(first: 50, department: "d07") { nodes { id } } }
{ tickets(first: 50, filter: {department: "d07"}) { nodes { id } } }
{ purchaseRequests(department: "d07", first: 50) { id } }
{ accessGrants(first: 50) { id } }
QUERIES
echo done
