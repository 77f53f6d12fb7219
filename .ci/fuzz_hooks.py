"""Schemathesis hooks for .ci/fuzz.sh (loaded through SCHEMATHESIS_HOOKS).

Only server errors fail the run: an HTTP 5xx, or a GraphQL error whose `extensions.code`
is INTERNAL. BAD_USER_INPUT, FORBIDDEN, NOT_FOUND, CONFLICT... are the API doing its job
on random input. fuzz.sh selects this module's check alone (`--checks trastienda_server_error`),
which turns off the built-in ones: `not_a_server_error` would count any resolver error
as a failure, `positive_data_acceptance` any rejected query.

Environment (set by fuzz.sh): TRASTIENDA_FUZZ_URL (the /graphql endpoint),
TRASTIENDA_FUZZ_TOKEN (the admin's access token), TRASTIENDA_FUZZ_EMAIL / _PASSWORD.
"""

import atexit
import json
import os
import sys

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# Custom scalars need a generator (Date and DateTime have built-in ones). Decimal is a JSON
# string such as "1234.50" (integer literals are accepted too). Mostly well-formed amounts, so
# that inputs get past parsing; then edges: the ±10^12 input limit, 4 decimal places,
# rust_decimal's 28 digits, and malformed numbers.
_DECIMAL_EDGES = ["0", "-0", "0.0001", "0.00001", "999999999999.9999", "1000000000000", "-1000000000000.0001",
                  "79228162514264337593543950335", "-79228162514264337593543950336", "1e3", ".5", "5.", "NaN", ""]
_amounts = st.decimals(min_value=0, max_value=100000, places=2).map(str).map(nodes.String)
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        _amounts, _amounts, _amounts,  # listed three times: drawn about half of the time
        st.decimals(min_value=-(10**13), max_value=10**13, places=4, allow_nan=False).map(str).map(nodes.String),
        st.sampled_from(_DECIMAL_EDGES).map(nodes.String),
        st.integers(min_value=-(2**64), max_value=2**64).map(nodes.Int),
    ),
)

# --- authentication -----------------------------------------------------------------------
# A static `Authorization` header does not survive the fuzzing: mutations such as assignRole
# or revokeRole on the admin's own id (ids are fed back from earlier responses) bump the
# admin's token version, and every later request would be UNAUTHENTICATED, testing nothing.
# So the header comes from this provider, which signs in again once that happens.
_AUTH_OPERATIONS = {"login", "refreshToken", "logout", "changePassword"}  # UNAUTHENTICATED is normal there
_token = os.environ.get("TRASTIENDA_FUZZ_TOKEN") or None
_refused_by = []  # the operations whose answer showed the token had stopped working
atexit.register(lambda: _refused_by and print(
    f"fuzz_hooks: signed in again {len(_refused_by)} times, the admin token having been refused by: "
    f"{', '.join(sorted(set(_refused_by)))}", file=sys.stderr))


def _login() -> str:
    response = requests.post(
        os.environ["TRASTIENDA_FUZZ_URL"],
        json={
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            "variables": {
                "e": os.environ.get("TRASTIENDA_FUZZ_EMAIL", "admin@demo.trastienda"),
                "p": os.environ.get("TRASTIENDA_FUZZ_PASSWORD", "demo-password-admin"),
            },
        },
        timeout=30,
    )
    try:
        return response.json()["data"]["login"]["accessToken"]
    except (ValueError, KeyError, TypeError):
        raise RuntimeError(f"admin sign-in failed: HTTP {response.status_code} {response.text[:500]}") from None


@schemathesis.auth(refresh_interval=None)  # no caching by schemathesis: _token is the cache
class AdminToken:
    def get(self, case, ctx):
        global _token
        if _token is None:
            _token = _login()
        return _token

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _errors(response) -> list:
    try:
        payload = response.json()
    except ValueError:
        return []
    errors = payload.get("errors") if isinstance(payload, dict) else None
    return [e for e in errors or [] if isinstance(e, dict)]


def _code(error: dict):
    return (error.get("extensions") or {}).get("code")


@schemathesis.hook
def after_call(ctx, case, response):
    global _token
    field = case.operation.label.rpartition(".")[2]
    if field not in _AUTH_OPERATIONS and any(_code(e) == "UNAUTHENTICATED" for e in _errors(response)):
        _refused_by.append(field)
        _token = None


# --- the check ----------------------------------------------------------------------------
def _repro(response) -> str:
    """The query and variables exactly as sent, ready for GraphiQL or curl."""
    body = response.request.body or b""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        payload = json.loads(body)
        query, variables = payload.get("query"), payload.get("variables")
    except (ValueError, AttributeError):
        return f"request body: {body}"
    return f"query:\n{query}\nvariables: {json.dumps(variables, ensure_ascii=False)}"


@schemathesis.check
def trastienda_server_error(ctx, response, case):
    """Fails on an HTTP 5xx or a GraphQL error coded INTERNAL, and on nothing else."""
    # The server's log lines for this request carry request_id=<this>; fuzz.sh prints them.
    request_id = (response.headers.get("x-request-id") or ["?"])[0]
    if response.status_code >= 500:
        raise AssertionError(
            f"HTTP {response.status_code}, requestId {request_id}\n{_repro(response)}\nresponse: {response.text[:2000]}"
        )
    internal = [e for e in _errors(response) if _code(e) == "INTERNAL"]
    if internal:
        raise AssertionError(
            f"GraphQL INTERNAL error, requestId {request_id}\n{_repro(response)}\nerrors: {json.dumps(internal)}"
        )
    return None
