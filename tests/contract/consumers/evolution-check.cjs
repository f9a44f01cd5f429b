// Completion handler for `graphql-inspector diff --onComplete` (run.sh).
//
// graphql-inspector compares the last released schema with the current one
// and hands this handler every change, classed BREAKING, DANGEROUS or
// NON_BREAKING, each with a `path` (`Query.users`, `User.email`,
// `Mutation.refreshToken.token`, ...). Dangerous and non-breaking changes only
// print. Every breaking change must be recorded in CHANGELOG.md:
//
//   ## Unreleased
//   ### Breaking
//   - `User.email` removed: ask `me { email }` ... (free text)
//
// that is, its path (or, for the few changes without one, such as a new root
// type, its change type, e.g. `SCHEMA_QUERY_TYPE_CHANGED`) appears in
// backticks in the `### Breaking` subsection of the `## Unreleased` section.
// Otherwise the check fails and says what to write.
"use strict";

const fs = require("fs");

// The text of `### Breaking` under `## Unreleased` ("" if there is none),
// HTML comments left out.
function unreleasedBreaking(changelog) {
  const lines = changelog.replace(/<!--[\s\S]*?-->/g, "").split(/\r?\n/);
  let inUnreleased = false;
  let inBreaking = false;
  const out = [];
  for (const line of lines) {
    if (/^##\s/.test(line)) {
      inUnreleased = /^##\s+\[?unreleased\]?\s*$/i.test(line);
      inBreaking = false;
      continue;
    }
    if (/^###\s/.test(line)) {
      inBreaking = inUnreleased && /^###\s+breaking(\s+changes?)?\s*$/i.test(line);
      continue;
    }
    if (inBreaking) out.push(line);
  }
  return out.join("\n");
}

function recordedNames(text) {
  return new Set([...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1].trim()));
}

module.exports = function onComplete({ breakingChanges, dangerousChanges, nonBreakingChanges }) {
  const changelogPath = process.env.CONTRACT_CHANGELOG || "CHANGELOG.md";
  const changelog = fs.existsSync(changelogPath) ? fs.readFileSync(changelogPath, "utf8") : "";
  const recorded = recordedNames(unreleasedBreaking(changelog));

  const missing = [];
  console.log("");
  for (const change of breakingChanges) {
    const name = change.path || change.type;
    const ok = recorded.has(name);
    if (!ok) missing.push({ name, message: change.message });
    console.log(`  breaking  ${ok ? "recorded  " : "UNRECORDED"}  \`${name}\`  ${change.message}`);
  }
  for (const change of dangerousChanges) {
    console.log(`  dangerous (printed only)  \`${change.path || change.type}\`  ${change.message}`);
  }
  console.log(
    `\nschema evolution: ${breakingChanges.length} breaking (${missing.length} unrecorded), ` +
      `${dangerousChanges.length} dangerous, ${nonBreakingChanges.length} non-breaking`,
  );
  if (missing.length) {
    console.error(
      `\nBreaking change(s) not recorded in ${changelogPath}. Either undo them, or add under\n` +
        "`## Unreleased` -> `### Breaking` a line naming each one in backticks, e.g.:\n\n" +
        "## Unreleased\n\n### Breaking\n" +
        missing.map((m) => `- \`${m.name}\`: ${m.message}`).join("\n") +
        "\n",
    );
    process.exit(1);
  }
};
