//! Generates `$OUT_DIR/schema_generated.rs` from `schema.graphql`: the enums,
//! input objects, resolver traits and `#[Object]` impls the crate `include!`s
//! (see src/codegen.rs). An invalid schema stops the build with a message
//! naming the line.

use std::path::{Path, PathBuf};
use std::{env, fs, process};

#[allow(dead_code)]
#[path = "src/codegen.rs"]
mod codegen;

fn main() {
    println!("cargo::rerun-if-changed=schema.graphql");
    println!("cargo::rerun-if-changed=src/codegen.rs");

    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
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
        if let Err(err) = fs::write(&out_path, code) {
            fail(&format!("cannot write {}: {err}", out_path.display()));
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
