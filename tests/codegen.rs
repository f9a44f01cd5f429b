//! The schema-first generator, outside the server: its unit tests
//! (`codegen/tests/`, compiled here with the `codegen/` tree), and the
//! committed copy of its output, `src/graphql/schema_gen.rs`, held equal to
//! what the build generated from schema.graphql (as `openapi.json` is held
//! equal to the served spec), so a newcomer can read what their resolvers
//! must implement.

#[path = "../codegen/mod.rs"]
mod codegen;

const REGENERATE: &str = "GATEHOUSE_REGENERATE=1 cargo test --test codegen";

/// What build.rs generated, and the server compiled.
const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/schema_generated.rs"));

#[test]
fn the_committed_copy_of_the_generated_code_is_what_the_build_generates() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/src/graphql/schema_gen.rs");
    if std::env::var_os("GATEHOUSE_REGENERATE").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(file, GENERATED).unwrap_or_else(|e| panic!("cannot write {file}: {e}"));
        eprintln!("wrote {file}");
        return;
    }
    let committed = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("cannot read {file} ({e}); create it with `{REGENERATE}`"));
    if committed == GENERATED {
        return;
    }
    let (committed_lines, generated_lines): (Vec<_>, Vec<_>) =
        (committed.lines().collect(), GENERATED.lines().collect());
    let first = committed_lines
        .iter()
        .zip(&generated_lines)
        .position(|(c, g)| c != g)
        .unwrap_or(committed_lines.len().min(generated_lines.len()));
    let show = |lines: &[&str]| {
        lines
            .iter()
            .enumerate()
            .skip(first)
            .take(6)
            .map(|(i, l)| format!("{:>5} | {l}", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    };
    panic!(
        "src/graphql/schema_gen.rs is not what schema.graphql generates; the first \
         difference is at line {}:\n--- committed\n{}\n--- generated\n{}\n\n\
         Refresh it and commit it:\n    {REGENERATE}",
        first + 1,
        show(&committed_lines),
        show(&generated_lines),
    );
}

#[test]
fn the_build_generated_from_the_current_schema_graphql() {
    let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is readable");
    let code = codegen::generate(&sdl).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        code == GENERATED,
        "build.rs's output differs from codegen::generate"
    );
}
