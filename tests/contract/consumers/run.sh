#!/usr/bin/env bash
# Consumer contracts: the tools frontend teams use accept Gatehouse's
# published artifacts, and the GraphQL schema does not break its consumers
# unannounced. From this folder's pinned packages (package-lock.json):
#
#   1. GraphQL Code Generator (typescript + typescript-operations) generates
#      TypeScript from ../../../schema.graphql and the client operations in
#      operations/*.graphql and client.ts; an operation the schema does not
#      accept fails it.
#   2. openapi-typescript generates types from ../../../openapi.json.
#   3. tsc --noEmit (strict) compiles client.ts, which uses both.
#   4. graphql-inspector diffs tests/contract/released/schema.graphql (the last
#      release) with schema.graphql; a breaking change fails unless
#      CHANGELOG.md records it under `## Unreleased` -> `### Breaking`
#      (see evolution-check.cjs). Dangerous and safe changes only print.
#   5. selftest.sh proves steps 1, 3 and 4 still fail when they should, on
#      scratch copies in a temporary folder (about a minute).
#
# Usage: tests/contract/consumers/run.sh [--no-install] [--no-selftest]
#   --no-install   skip `npm ci` (node_modules already installed)
#   --no-selftest  skip step 5 (selftest.sh runs the copies' run.sh so)
# Exits 0 when every step passed, 1 otherwise. Needs node >= 18 and npm.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$here"

install=1
selftest=1
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    --no-selftest) selftest=0 ;;
    *) echo "usage: $0 [--no-install] [--no-selftest]" >&2; exit 2 ;;
  esac
done

export CONTRACT_SCHEMA="$root/schema.graphql"
export CONTRACT_CHANGELOG="$root/CHANGELOG.md"
openapi="$root/openapi.json"
released="$root/tests/contract/released/schema.graphql"
bin="$here/node_modules/.bin"

results=()
failed=0
# step NAME COMMAND...: runs it, records PASS/FAIL.
step() {
  local name="$1"; shift
  echo "== consumer contracts: $name"
  if "$@"; then
    results+=("PASS  $name")
  else
    results+=("FAIL  $name")
    failed=1
    return 1
  fi
}
skip() {
  results+=("SKIP  $1 ($2)")
  echo "== consumer contracts: $1 skipped: $2"
}

if [ "$install" = 1 ]; then
  if ! step "npm ci" npm ci --no-audit --no-fund --loglevel=error; then
    echo "npm ci failed: nothing else can run" >&2
    printf '%s\n' "${results[@]}"
    exit 1
  fi
fi

# Never type-check stale output of an earlier run.
rm -rf generated
mkdir -p generated

generated_ok=1
step "graphql-codegen (schema.graphql + client operations)" \
  "$bin/graphql-codegen" --config codegen.ts || generated_ok=0
step "openapi-typescript (openapi.json)" \
  "$bin/openapi-typescript" "$openapi" --output generated/openapi.ts || generated_ok=0
if [ "$generated_ok" = 1 ]; then
  step "tsc --noEmit (strict) of client.ts + generated types" \
    "$bin/tsc" --noEmit -p tsconfig.json
else
  skip "tsc --noEmit" "a generator failed"
fi
step "schema evolution (released/schema.graphql -> schema.graphql, CHANGELOG.md)" \
  "$bin/graphql-inspector" diff "$released" "$CONTRACT_SCHEMA" \
  --onComplete "$here/evolution-check.cjs"
if [ "$selftest" = 1 ]; then
  step "self-test: the checks fail when they should (selftest.sh)" ./selftest.sh --no-install
fi

echo
echo "== consumer contracts summary"
printf '  %s\n' "${results[@]}"
if [ "$failed" = 1 ]; then
  echo "== consumer contracts FAILED"
  exit 1
fi
echo "== consumer contracts passed"
