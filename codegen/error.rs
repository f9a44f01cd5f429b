//! Why `schema.graphql` could not be turned into Rust, in words that name
//! the line and show it.

use std::fmt;

use graphql_parser::schema::ParseError;

use super::SOURCE_NAME;

/// Why `schema.graphql` could not be turned into Rust.
///
/// `Display` gives a message that starts with `schema.graphql:`, names the
/// line and column where there is one, and shows that line of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodegenError {
    /// The text is not valid GraphQL SDL.
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (graphql-parser counts a tab as 8).
        column: usize,
        /// What the parser expected or found.
        message: String,
        /// The source line with a caret under the column.
        excerpt: String,
    },
    /// The SDL parses, but uses an unknown type, an unsupported construct,
    /// a duplicate name, or the like.
    Invalid {
        /// Line and column of the definition at fault, if there is one.
        position: Option<(usize, usize)>,
        /// What is wrong, naming the type, field or argument.
        message: String,
        /// The source line with a caret under the column (may be empty).
        excerpt: String,
    },
}

impl CodegenError {
    /// The line (1-based) the error points at, if any.
    #[cfg(test)]
    pub fn line(&self) -> Option<usize> {
        match self {
            CodegenError::Syntax { line, .. } => Some(*line),
            CodegenError::Invalid { position, .. } => position.map(|(line, _)| line),
        }
    }
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodegenError::Syntax {
                line,
                column,
                message,
                excerpt,
            } => write!(
                f,
                "{SOURCE_NAME}: syntax error at line {line}, column {column}: {message}{excerpt}"
            ),
            CodegenError::Invalid {
                position: Some((line, column)),
                message,
                excerpt,
            } => write!(
                f,
                "{SOURCE_NAME}: error at line {line}, column {column}: {message}{excerpt}"
            ),
            CodegenError::Invalid {
                position: None,
                message,
                ..
            } => write!(f, "{SOURCE_NAME}: error: {message}"),
        }
    }
}

impl std::error::Error for CodegenError {}

/// The source line `line` with a caret under `column` (graphql-parser counts
/// a tab as 8 columns), prefixed by a newline; empty if there is no such line.
pub fn excerpt(src: &str, line: usize, column: usize) -> String {
    let Some(text) = line.checked_sub(1).and_then(|i| src.lines().nth(i)) else {
        return String::new();
    };
    let mut caret = String::new();
    let mut col = 1;
    for ch in text.chars() {
        if col >= column {
            break;
        }
        if ch == '\t' {
            caret.push('\t');
            col += 8;
        } else {
            caret.push(' ');
            col += 1;
        }
    }
    let gutter = line.to_string();
    let pad = " ".repeat(gutter.len());
    format!("\n {gutter} | {text}\n {pad} | {caret}^")
}

/// graphql-parser's error, as a [`CodegenError::Syntax`] pointing into `src`.
pub fn syntax_error(src: &str, err: &ParseError) -> CodegenError {
    // graphql-parser's text: "schema parse error: Parse error at 7:1\nUnexpected ...\nExpected ...\n"
    let text = err.to_string();
    let text = text.strip_prefix("schema parse error: ").unwrap_or(&text);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let position = first.strip_prefix("Parse error at ").and_then(|pos| {
        let (line, column) = pos.trim().split_once(':')?;
        Some((line.parse::<usize>().ok()?, column.parse::<usize>().ok()?))
    });
    // Tokens read "`(`[Punctuator]": the kind adds nothing for a reader.
    let details: Vec<String> = lines
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut l = l.to_string();
            for kind in [
                "Punctuator",
                "Name",
                "IntValue",
                "FloatValue",
                "StringValue",
                "BlockString",
            ] {
                l = l.replace(&format!("[{kind}]`"), "`");
            }
            l
        })
        .collect();
    match position {
        Some((line, column)) => CodegenError::Syntax {
            line,
            column,
            message: if details.is_empty() {
                "invalid GraphQL SDL".to_string()
            } else {
                details.join("; ")
            },
            excerpt: excerpt(src, line, column),
        },
        None => CodegenError::Invalid {
            position: None,
            message: format!("syntax error: {}", text.trim().replace('\n', "; ")),
            excerpt: String::new(),
        },
    }
}
