//! Generates `$OUT_DIR/schema_generated.rs` from `schema.graphql`: the enums,
//! input objects, argument structs, resolver traits and `#[Object]` impls
//! that src/graphql/generated.rs `include!`s. The generator lives in
//! `codegen/`, a build-time module tree that the server library does not
//! contain. An invalid schema stops the build with a message naming the line.

use std::path::{Path, PathBuf};
use std::{env, fs, process};

#[path = "codegen/mod.rs"]
mod codegen;

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    println!("cargo::rerun-if-changed=schema.graphql");
    // The generator's own files (its tests and fixtures do not change the output).
    watch_sources(&manifest_dir.join("codegen"));

    let schema_path = manifest_dir.join("schema.graphql");
    let sdl = match fs::read_to_string(&schema_path) {
        Ok(sdl) => sdl,
        Err(err) => fail(&format!("cannot read {}: {err}", schema_path.display())),
    };

    let code = match codegen::generate(&sdl) {
        Ok(code) => code,
        Err(err) => fail(&err.to_string()),
    };

    let Some(out_dir) = env::var_os("OUT_DIR") else {
        fail("OUT_DIR is not set (build.rs must run under cargo)");
    };
    let out_path = Path::new(&out_dir).join("schema_generated.rs");
    // Rewrite only on change, so an unchanged schema does not rebuild the crate.
    if fs::read_to_string(&out_path).ok().as_deref() != Some(code.as_str()) {
        if let Err(err) = fs::write(&out_path, &code) {
            fail(&format!("cannot write {}: {err}", out_path.display()));
        }
    }
}

/// `rerun-if-changed` for every file under `dir`, except `tests/` and
/// `fixtures/`.
fn watch_sources(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        fail(&format!("cannot list {}", dir.display()));
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("tests") && !path.ends_with("fixtures") {
                watch_sources(&path);
            }
        } else {
            println!("cargo::rerun-if-changed={}", path.display());
        }
    }
}

/// Stops the build with `message`: `cargo::error` lines show it in cargo's
/// own output (one directive per line), stderr keeps it in the build log.
fn fail(message: &str) -> ! {
    for line in message.lines() {
        println!("cargo::error={line}");
    }
    eprintln!("{message}");
    process::exit(1);
}
