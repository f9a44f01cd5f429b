#!/usr/bin/env bash
# Self-test of run.sh: proves each check can fail, on scratch copies of the
# repository's files in a temporary folder (the real files are never touched).
#
#   baseline  the copy as it is                        -> run.sh passes
#   (a)       an operation asks for `User.nickname`    -> codegen fails
#   (b)       schema.graphql loses `User.isSuperuser`  -> evolution check fails
#   (b2)      ... recorded under an old release only   -> still fails
#   (c)       ... recorded under Unreleased/Breaking   -> evolution check passes
#             (codegen still fails: operations ask for the field)
#   (c2)      ... and the operations updated too       -> run.sh passes
#   (d)       schema.graphql gains a field             -> passes, change printed
#   (e)       openapi.json's User loses `is_staff`     -> tsc fails on client.ts
#
# Usage: tests/contract/consumers/selftest.sh [--no-install]
# (run.sh runs it as its last step; it runs each copy's run.sh --no-selftest).
# The copies start from the working tree's files, so unreleased changes
# already made to schema.graphql do not upset it.
# Exits 0 when every scenario behaved as expected, 1 otherwise.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

if [ "${1:-}" != "--no-install" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# scratch NAME: a copy of the files run.sh reads, laid out as in the
# repository, sharing this folder's node_modules. Prints its root.
scratch() {
  local dir="$tmp/$1"
  mkdir -p "$dir/tests/contract/released" "$dir/tests/contract/consumers"
  cp "$root/schema.graphql" "$root/openapi.json" "$root/CHANGELOG.md" "$dir/"
  cp "$root/tests/contract/released/schema.graphql" "$dir/tests/contract/released/"
  (cd "$here" && cp -r run.sh codegen.ts client.ts tsconfig.json evolution-check.cjs \
    operations package.json "$dir/tests/contract/consumers/")
  ln -s "$here/node_modules" "$dir/tests/contract/consumers/node_modules"
  echo "$dir"
}

# edit FILE REGEX REPLACEMENT: Python re.sub (multiline) on FILE; fails
# loudly when nothing matched, so a scenario never runs on an unchanged copy.
edit() {
  python3 - "$@" <<'PY' || { echo "selftest: edit of $1 did not apply: the file changed? ($2)" >&2; exit 1; }
import re, sys
path, pattern, replacement = sys.argv[1:]
text = open(path).read()
text, n = re.subn(pattern, replacement, text, flags=re.M)
if n == 0:
    sys.exit(1)
open(path, "w").write(text)
PY
}

results=()
failed=0
# expect NAME DIR WANT_RC [PATTERN...]: runs the scratch copy's run.sh; its
# exit code must be WANT_RC and its output must match every PATTERN (ERE).
expect() {
  local name="$1" dir="$2" want="$3"; shift 3
  local log="$tmp/$name.log" rc ok=1 pattern
  "$dir/tests/contract/consumers/run.sh" --no-install --no-selftest >"$log" 2>&1
  rc=$?
  [ "$rc" = "$want" ] || ok=0
  for pattern in "$@"; do
    grep -Eq -- "$pattern" "$log" || { ok=0; echo "   missing in output: $pattern"; }
  done
  if [ "$ok" = 1 ]; then
    results+=("ok    $name (exit $rc)")
  else
    results+=("FAIL  $name (exit $rc, wanted $want)")
    failed=1
    echo "---- output of $name"; cat "$log"; echo "----"
  fi
  echo "== selftest $name: exit $rc (wanted $want)"
  grep -E "^  (PASS|FAIL|SKIP)|UNRECORDED|recorded  |Cannot query field|schema evolution:|Field '.*' was|error TS" "$log" | sed 's/^/   | /'
}

d="$(scratch baseline)"
expect baseline "$d" 0 "PASS  graphql-codegen" "PASS  tsc" "PASS  schema evolution"

d="$(scratch a-unknown-field)"
edit "$d/tests/contract/consumers/operations/users.graphql" '^( *)me \{\n' '\g<0>\1  nickname\n'
expect a-unknown-field "$d" 1 \
  'Cannot query field "nickname" on type "User"' \
  "FAIL  graphql-codegen" "SKIP  tsc" "PASS  schema evolution"

# The field and its one-line description, if any.
remove_is_superuser() { edit "$1/schema.graphql" '^(?:[ \t]*"[^"\n]*"\n)?[ \t]*isSuperuser:[^\n]*\n' ''; }
record_breaking() { # DIR: a `### Breaking` entry right under `## Unreleased`
  edit "$1/CHANGELOG.md" '^## Unreleased[ \t]*\n' '\g<0>\n### Breaking\n\n- `User.isSuperuser` removed: ask an administrator instead.\n\n'
}

d="$(scratch b-field-removed)"
remove_is_superuser "$d"
expect b-field-removed "$d" 1 \
  'UNRECORDED  `User.isSuperuser`' "FAIL  schema evolution" \
  '- `User.isSuperuser`: Field .isSuperuser. was removed from object type .User.'

d="$(scratch b2-recorded-in-old-release)"
remove_is_superuser "$d"
printf '\n## 0.0.1 - 2000-01-01\n\n### Breaking\n\n- `User.isSuperuser` removed.\n' >>"$d/CHANGELOG.md"
expect b2-recorded-in-old-release "$d" 1 'UNRECORDED  `User.isSuperuser`' "FAIL  schema evolution"

d="$(scratch c-recorded)"
remove_is_superuser "$d"
record_breaking "$d"
expect c-recorded "$d" 1 'recorded    `User.isSuperuser`' "PASS  schema evolution" \
  'Cannot query field "isSuperuser" on type "User"' "FAIL  graphql-codegen"

d="$(scratch c2-recorded-and-operations-updated)"
remove_is_superuser "$d"
record_breaking "$d"
edit "$d/tests/contract/consumers/operations/users.graphql" '^[ \t]*isSuperuser[ \t]*\n' ''
expect c2-recorded-and-operations-updated "$d" 0 'recorded    `User.isSuperuser`' \
  "PASS  graphql-codegen" "PASS  tsc" "PASS  schema evolution"

d="$(scratch d-field-added)"
edit "$d/schema.graphql" '^([ \t]*)lastLogin: DateTime\n' '\g<0>\1"A display name."\n\1nickname: String\n'
expect d-field-added "$d" 0 "Field '?nickname'? was added to object type '?User" \
  "[0-9]+ non-breaking" "PASS  schema evolution"

d="$(scratch e-rest-field-removed)"
python3 - "$d/openapi.json" <<'PY' || exit 1
import json, sys
path = sys.argv[1]
spec = json.load(open(path))
user = spec["components"]["schemas"]["User"]
del user["properties"]["is_staff"]
user["required"] = [name for name in user.get("required", []) if name != "is_staff"]
json.dump(spec, open(path, "w"), indent=2)
PY
expect e-rest-field-removed "$d" 1 "client.ts.*Property 'is_staff' does not exist" \
  "PASS  openapi-typescript" "FAIL  tsc"

echo
echo "== consumer contracts self-test summary"
printf '  %s\n' "${results[@]}"
if [ "$failed" = 1 ]; then
  echo "== consumer contracts self-test FAILED"
  exit 1
fi
echo "== consumer contracts self-test passed: every check fails when it should"
