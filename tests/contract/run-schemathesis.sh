#!/usr/bin/env bash
# Contract tests of the REST API with schemathesis (from PyPI), against a
# running server's own spec: no 5xx, every response (status, content type,
# headers, body) conforms to /api/openapi.json, invalid input is refused,
# protected operations refuse a missing token, and a 405 names what is allowed.
#
# Usage: tests/contract/run-schemathesis.sh BASE_URL   (or BASE_URL=... in the environment)
#   e.g. GATEHOUSE_ADDR=127.0.0.1:8765 DATABASE_URL=sqlite:///tmp/st.db cargo run &
#        tests/contract/run-schemathesis.sh http://127.0.0.1:8765
# Knobs: SCHEMATHESIS_MAX_EXAMPLES (default 30 per operation),
# SCHEMATHESIS_SEED (default 1, so CI runs are reproducible; change it to
# explore other inputs).
set -euo pipefail

BASE_URL="${1:-${BASE_URL:-}}"
if [ -z "$BASE_URL" ]; then
  echo "usage: $0 BASE_URL" >&2
  exit 2
fi
BASE_URL="${BASE_URL%/}"
VERSION="4.32.5"
VENV="$HOME/.cache/gatehouse-venv"

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -qF "$VERSION"; then
  echo "== installing schemathesis $VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi

# A user of our own and an access token, so the protected operations are
# exercised beyond their 401s. A fresh name per run: the database may be
# reused. A random password passes the strength rule.
user="contract$(date +%s)$$"
password="$(head -c 24 /dev/urandom | base64)"
python3 -c 'import json, sys; print(json.dumps({"username": sys.argv[1], "email": sys.argv[1] + "@example.com", "password": sys.argv[2]}))' \
  "$user" "$password" |
  curl -fsS -o /dev/null -X POST "$BASE_URL/api/users" -H 'Content-Type: application/json' --data-binary @-
token="$(curl -fsS "$BASE_URL/api/token" \
  --data-urlencode grant_type=password \
  --data-urlencode "username=$user" \
  --data-urlencode "password=$password" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"

# schemathesis keeps its example database in the working directory: not in the repo.
workdir="$HOME/.cache/gatehouse-schemathesis"
mkdir -p "$workdir"
cd "$workdir"

# `X-Requested-With` lets browser mode's `/api/session/*` past its CSRF
# check (403 without it); no other operation reads it.
# Every check but positive_data_acceptance: input that fits the schema can
# still be refused by design (wrong credentials, a weak password, an unknown
# refresh token), which the schema cannot express.
run() {
  timeout 600 "$VENV/bin/schemathesis" run "$BASE_URL/api/openapi.json" \
    --url "$BASE_URL" \
    --header "Authorization: Bearer $token" \
    --header "X-Requested-With: schemathesis" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-30}" \
    --seed "${SCHEMATHESIS_SEED:-1}" \
    --request-timeout 30 \
    --suppress-health-check too_slow \
    "$@"
}

echo "== schemathesis against $BASE_URL/api/openapi.json"
# First everything that leaves the session alive, then the two operations
# that end it (after which the others would only see 401s).
run --exclude-operation-id logoutAll --exclude-operation-id changePassword
run --include-operation-id logoutAll --include-operation-id changePassword
