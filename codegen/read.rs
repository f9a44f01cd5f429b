//! Reading `schema.graphql`: the text as graphql-parser 0.4 can parse it.
//!
//! Self-contained (std and graphql-parser only), so the test that compares
//! the served schema with `schema.graphql` (tests/api/graphql/sdl.rs) reads the file
//! the same way the generator does.

use graphql_parser::schema::{parse_schema, Definition, TypeDefinition};

/// Prepares SDL text for graphql-parser 0.4, which predates descriptions on
/// the `schema { ... }` definition (GraphQL spec, October 2021): such a
/// description is replaced by spaces, keeping every line and column where it
/// was, and returned (unquoted) beside the text. CRLF line ends become LF
/// (graphql-parser counts a comment's CRLF as two lines). Anything the
/// scanner does not understand is left for the parser to report.
pub fn strip_schema_description(sdl: &str) -> (String, Option<String>) {
    let sdl = sdl.replace("\r\n", "\n");
    let tokens = scan_tokens(&sdl);
    let mut blank: Vec<(usize, usize)> = Vec::new();
    let mut description = None;
    for pair in tokens.windows(2) {
        let (string, next) = (&pair[0], &pair[1]);
        if string.kind == TokKind::String
            && string.depth == 0
            && next.kind == TokKind::Name
            && &sdl[next.start..next.end] == "schema"
        {
            let quoted = &sdl[string.start..string.end];
            let probe = format!("{quoted} scalar Probe");
            if let Ok(doc) = parse_schema::<String>(&probe) {
                if let Some(Definition::TypeDefinition(TypeDefinition::Scalar(s))) =
                    doc.definitions.first()
                {
                    description = s.description.clone();
                }
                blank.push((string.start, string.end));
            }
        }
    }
    if blank.is_empty() {
        return (sdl, description);
    }
    let mut out = String::with_capacity(sdl.len());
    let mut last = 0;
    for (start, end) in blank {
        out.push_str(&sdl[last..start]);
        out.extend(
            sdl[start..end]
                .chars()
                .map(|c| if c == '\n' || c == '\r' { c } else { ' ' }),
        );
        last = end;
    }
    out.push_str(&sdl[last..]);
    (out, description)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    String,
    Name,
    Other,
}

/// One token: its kind, its byte span, and the bracket depth around it.
pub struct Tok {
    pub kind: TokKind,
    pub start: usize,
    pub end: usize,
    pub depth: i32,
}

/// A coarse GraphQL tokenizer: names, strings (with their byte spans) and
/// single other characters, with the bracket depth at each token.
pub fn scan_tokens(src: &str) -> Vec<Tok> {
    let b = src.as_bytes();
    let len = b.len();
    let mut tokens = Vec::new();
    let mut depth = 0i32;
    let mut i = 0;
    while i < len {
        let start = i;
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < len && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' => {
                i = string_end(b, i);
                tokens.push(Tok {
                    kind: TokKind::String,
                    start,
                    end: i,
                    depth,
                });
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                while i < len && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                tokens.push(Tok {
                    kind: TokKind::Name,
                    start,
                    end: i,
                    depth,
                });
            }
            c => {
                match c {
                    b'{' | b'(' | b'[' => depth += 1,
                    b'}' | b')' | b']' => depth -= 1,
                    _ => {}
                }
                i += 1;
                tokens.push(Tok {
                    kind: TokKind::Other,
                    start,
                    end: i,
                    depth,
                });
            }
        }
    }
    tokens
}

/// The end of the string (plain or block) that starts at `b[start]`, or the
/// end of the text if it is not closed.
fn string_end(b: &[u8], start: usize) -> usize {
    let len = b.len();
    let mut i = start;
    if b[i..].starts_with(b"\"\"\"") {
        i += 3;
        while i < len {
            if b[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if b[i..].starts_with(b"\"\"\"") {
                i += 3;
                break;
            } else {
                i += 1;
            }
        }
    } else {
        i += 1;
        while i < len {
            match b[i] {
                b'\\' => i += 2,
                b'"' => {
                    i += 1;
                    break;
                }
                b'\n' | b'\r' => break,
                _ => i += 1,
            }
        }
    }
    i.min(len)
}
