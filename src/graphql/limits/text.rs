//! The check on a query's text, before it is parsed: how deep brackets
//! nest, and how long a name may be. One pass, no recursion.

use super::{exceeded, Exceeded};

/// Deepest nesting of `{`, `[` and `(` in a query text (GraphiQL's own
/// introspection query nests 10 deep; a selection set may not nest more than
/// 64 deep in the parser anyway).
pub const MAX_NESTING: usize = 128;

/// The longest name (or number) a document may hold. Error messages repeat
/// names (`Unknown field "…"`); the attack review sent a 60,000-character
/// one and got it back whole.
pub const MAX_NAME_CHARS: usize = 128;

/// Checks a query text before it is parsed: brackets outside strings and
/// comments may nest at most [`MAX_NESTING`] deep. One pass, no recursion.
pub fn check_text(text: &str) -> Result<(), Exceeded> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() {
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        _ => i += 1,
                    }
                }
                continue;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(exceeded(
                        "QUERY_TOO_DEEP",
                        format!("The query nests brackets deeper than {MAX_NESTING} levels."),
                    ));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => {
                // A name (or number): errors repeat names from the
                // document, so none may be longer than a name needs.
                let start = i;
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                if i - start > MAX_NAME_CHARS {
                    return Err(exceeded(
                        "NAME_TOO_LONG",
                        format!("A name in the query is longer than {MAX_NAME_CHARS} characters."),
                    ));
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}
