//! The schema-first generator: `schema.graphql` in, Rust source out.
//!
//! `build.rs` includes this file as a module (`#[path = "src/codegen.rs"]`)
//! and writes the output of [`generate`] to `$OUT_DIR/schema_generated.rs`;
//! the library compiles it too, so its unit tests run with `cargo test`.
//! It must therefore depend on `std` and `graphql-parser` only.
//!
//! The generated code is `include!`d into a module where the hand-written
//! object types and custom scalars are in scope under their GraphQL names.
//! For every definition in the SDL it emits:
//!
//! * `scalar X`: a trait `XScalar` (`parse` / `to_value`) that the hand-written
//!   type `X` implements, and `#[Scalar] impl ScalarType for X` forwarding to it.
//! * `enum E`: the whole Rust enum (`#[derive(Enum)]`, variants in CamelCase).
//! * `input I`: the whole Rust struct (`#[derive(InputObject)]`, fields in
//!   snake_case; no `Debug`, since inputs may hold passwords).
//! * `type T`: a trait `TResolver` with one method per field, and
//!   `#[Object] impl T` whose methods forward every field to that trait. A
//!   field without a resolver, or a resolver with the wrong arguments, is then
//!   a compile error in the hand-written code.
//! * `pub type Schema` (the root types; subscriptions are not supported) and
//!   `pub const SDL` (the text of `schema.graphql`).
//!
//! Arguments and input fields whose name contains `password`, `token` or
//! `secret` are marked `secret`, so async-graphql masks their values where
//! an extension prints the query.
//!
//! Every type, field, argument and enum value gets an explicit GraphQL name,
//! so async-graphql's renaming never applies. Unsupported SDL (interfaces,
//! unions, subscriptions, type extensions, custom directives, list or object
//! default values) is rejected with an error naming the place.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::{self, Write as _};

use graphql_parser::schema::{
    parse_schema, Definition, Directive, Document, EnumType, Field, InputObjectType, InputValue,
    ObjectType, ParseError, ScalarType, SchemaDefinition, Type, TypeDefinition, TypeExtension,
    Value,
};
use graphql_parser::Pos;

/// The file name used in error messages.
const SOURCE_NAME: &str = "schema.graphql";

/// The reason the GraphQL spec gives to `@deprecated` without one.
const DEFAULT_DEPRECATION_REASON: &str = "No longer supported";

const BUILTIN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

/// Names the generated code defines itself, besides `<Object>Resolver` and
/// `<Scalar>Scalar`.
const GENERATED_NAMES: [&str; 2] = ["Schema", "SDL"];

/// Rust keywords (strict, reserved and 2024's `gen`): written as raw identifiers.
const RUST_KEYWORDS: [&str; 52] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers: a trailing `_` is added instead.
const NON_RAW_KEYWORDS: [&str; 4] = ["crate", "self", "Self", "super"];

/// Lints that generated code must not trip, whatever the crate enables.
const ALLOW_LINTS: &str = "#[allow(missing_docs, non_camel_case_types, clippy::all, clippy::pedantic, clippy::nursery, rustdoc::all)]";

type Doc = Document<'static, String>;
type SType = Type<'static, String>;
type SValue = Value<'static, String>;
type SDirective = Directive<'static, String>;
type SField = Field<'static, String>;
type SInputValue = InputValue<'static, String>;
type SObject = ObjectType<'static, String>;
type SInput = InputObjectType<'static, String>;
type SEnum = EnumType<'static, String>;
type SScalar = ScalarType<'static, String>;

// ---------------------------------------------------------------------------
// Errors

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
    pub fn line(&self) -> Option<usize> {
        match self {
            CodegenError::Syntax { line, .. } => Some(*line),
            CodegenError::Invalid { position, .. } => position.map(|(line, _)| line),
        }
    }

    /// The message without the file name, position and excerpt.
    pub fn message(&self) -> &str {
        match self {
            CodegenError::Syntax { message, .. } | CodegenError::Invalid { message, .. } => message,
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
fn excerpt(src: &str, line: usize, column: usize) -> String {
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

fn syntax_error(src: &str, err: &ParseError) -> CodegenError {
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

// ---------------------------------------------------------------------------
// Entry points

/// Generates the Rust code for the SDL text `sdl` (the contents of
/// `schema.graphql`). The output is deterministic and follows the order of
/// the definitions in the SDL.
pub fn generate(sdl: &str) -> Result<String, CodegenError> {
    let (cleaned, _description) = strip_schema_description(sdl);
    let doc: Doc = parse_schema::<String>(&cleaned)
        .map_err(|e| syntax_error(sdl, &e))?
        .into_static();
    let checked = Checked::new(sdl, &cleaned, &doc)?;
    checked.emit()
}

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
enum TokKind {
    String,
    Name,
    Other,
}

struct Tok {
    kind: TokKind,
    start: usize,
    end: usize,
    depth: i32,
}

/// A coarse GraphQL tokenizer: names, strings (with their byte spans) and
/// single other characters, with the bracket depth at each token.
fn scan_tokens(src: &str) -> Vec<Tok> {
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
                let end = i.min(len);
                i = end;
                tokens.push(Tok {
                    kind: TokKind::String,
                    start,
                    end,
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

// ---------------------------------------------------------------------------
// Naming

/// `camelCase`, `PascalCase` or `SCREAMING_CASE` to `snake_case`, keeping
/// leading underscores and acronyms together (`ObtainJSONWebToken` becomes
/// `obtain_json_web_token`, `sha256Hash` becomes `sha256_hash`).
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_is_lower);
            if boundary {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Any GraphQL name to `CamelCase` (`VALUE_ONE` and `valueOne` both become
/// `ValueOne`).
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in snake_case(name).split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() {
        out.push_str("Underscore");
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// A valid Rust identifier for `name`: keywords become raw identifiers
/// (`r#type`), or get a trailing `_` where Rust allows no raw form (`self_`).
fn rust_ident(name: &str) -> String {
    if name.is_empty() || name.chars().all(|c| c == '_') {
        format!("underscore{}", name.len())
    } else if NON_RAW_KEYWORDS.contains(&name) {
        format!("{name}_")
    } else if RUST_KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

/// The Rust name of a field (a trait method or a struct field).
fn field_ident(name: &str) -> String {
    rust_ident(&snake_case(name))
}

/// The Rust name of an argument; `ctx` is taken by the context parameter.
fn arg_ident(name: &str) -> String {
    let snake = snake_case(name);
    if snake == "ctx" {
        "ctx_".to_string()
    } else {
        rust_ident(&snake)
    }
}

/// The Rust name of an enum value.
fn variant_ident(name: &str) -> String {
    rust_ident(&camel_case(name))
}

/// A Rust string literal with the exact text of `s`.
fn lit(s: &str) -> String {
    format!("{s:?}")
}

/// A raw string literal for long text (no escapes to read), or a normal one
/// where a raw string cannot hold the text.
fn long_lit(s: &str) -> String {
    if s.contains('\r') {
        return lit(s);
    }
    let mut hashes = 1;
    loop {
        let fence = "#".repeat(hashes);
        if !s.contains(&format!("\"{fence}")) {
            return format!("r{fence}\"{s}\"{fence}");
        }
        hashes += 1;
    }
}

/// The named type under any list and non-null wrappers.
fn base_name(ty: &SType) -> &str {
    match ty {
        Type::NamedType(name) => name,
        Type::ListType(inner) | Type::NonNullType(inner) => base_name(inner),
    }
}

/// The named type under a non-null wrapper, if the type is not a list.
fn direct_name(ty: &SType) -> Option<&str> {
    match ty {
        Type::NamedType(name) => Some(name),
        Type::NonNullType(inner) => direct_name(inner),
        Type::ListType(_) => None,
    }
}

fn non_empty(description: &Option<String>) -> Option<&str> {
    description.as_deref().filter(|d| !d.trim().is_empty())
}

// ---------------------------------------------------------------------------
// Checking

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    BuiltinScalar,
    Scalar,
    Enum,
    Input,
    Object,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::BuiltinScalar => "built-in scalar",
            Kind::Scalar => "scalar",
            Kind::Enum => "enum",
            Kind::Input => "input object",
            Kind::Object => "object type",
        }
    }
}

#[derive(Clone, Copy)]
enum Def<'d> {
    Scalar(&'d SScalar),
    Enum(&'d SEnum),
    Input(&'d SInput),
    Object(&'d SObject),
}

impl<'d> Def<'d> {
    fn name(self) -> &'d str {
        match self {
            Def::Scalar(s) => &s.name,
            Def::Enum(e) => &e.name,
            Def::Input(i) => &i.name,
            Def::Object(o) => &o.name,
        }
    }

    fn position(self) -> Pos {
        match self {
            Def::Scalar(s) => s.position,
            Def::Enum(e) => e.position,
            Def::Input(i) => i.position,
            Def::Object(o) => o.position,
        }
    }

    fn kind(self) -> Kind {
        match self {
            Def::Scalar(_) => Kind::Scalar,
            Def::Enum(_) => Kind::Enum,
            Def::Input(_) => Kind::Input,
            Def::Object(_) => Kind::Object,
        }
    }
}

/// A schema that passed every check: what `emit` needs.
struct Checked<'d> {
    /// The text of schema.graphql.
    src: &'d str,
    /// The text graphql-parser read (see `strip_schema_description`).
    text: &'d str,
    defs: Vec<Def<'d>>,
    by_name: HashMap<&'d str, Def<'d>>,
    query: String,
    mutation: Option<String>,
}

impl<'d> Checked<'d> {
    fn new(src: &'d str, text: &'d str, doc: &'d Doc) -> Result<Self, CodegenError> {
        let mut checked = Checked {
            src,
            text,
            defs: Vec::new(),
            by_name: HashMap::new(),
            query: String::new(),
            mutation: None,
        };
        let mut schema_def: Option<&SchemaDefinition<'static, String>> = None;
        for definition in &doc.definitions {
            match definition {
                Definition::SchemaDefinition(s) => {
                    if let Some(first) = schema_def {
                        return Err(checked.err(
                            s.position,
                            format!(
                                "a second `schema {{ ... }}` definition (the first is at line {})",
                                first.position.line
                            ),
                        ));
                    }
                    schema_def = Some(s);
                }
                Definition::TypeDefinition(t) => checked.add_type(t)?,
                Definition::TypeExtension(e) => {
                    let (kind, name, position) = extension_parts(e);
                    return Err(checked.err(
                        position,
                        format!(
                            "`extend {kind} {name}`: type extensions are not supported; \
                             move the additions into the definition of `{name}`"
                        ),
                    ));
                }
                Definition::DirectiveDefinition(d) => {
                    return Err(checked.err(
                        d.position,
                        format!(
                            "`directive @{}`: custom directives are not supported by the generator",
                            d.name
                        ),
                    ));
                }
            }
        }
        checked.check_generated_names()?;
        checked.roots(schema_def)?;
        for def in checked.defs.clone() {
            match def {
                Def::Scalar(s) => {
                    checked.scalar_specified_by(s)?;
                }
                Def::Enum(e) => checked.check_enum(e)?,
                Def::Input(i) => checked.check_input(i)?,
                Def::Object(o) => checked.check_object(o)?,
            }
        }
        checked.check_input_cycles()?;
        checked.check_reachable()?;
        Ok(checked)
    }

    fn err(&self, pos: Pos, message: String) -> CodegenError {
        let pos = self.name_pos(pos);
        CodegenError::Invalid {
            position: Some((pos.line, pos.column)),
            message,
            excerpt: excerpt(self.src, pos.line, pos.column),
        }
    }

    /// graphql-parser places a field, argument or enum value where its
    /// description starts; errors point at its name instead.
    fn name_pos(&self, pos: Pos) -> Pos {
        let text = self.text;
        let Some(line_start) = pos.line.checked_sub(1).map(|n| {
            text.split_inclusive('\n')
                .take(n)
                .map(str::len)
                .sum::<usize>()
        }) else {
            return pos;
        };
        let mut offset = line_start.min(text.len());
        let mut column = 1;
        for ch in text[offset..].chars() {
            if column >= pos.column || ch == '\n' {
                break;
            }
            column += if ch == '\t' { 8 } else { 1 };
            offset += ch.len_utf8();
        }
        if !text[offset..].starts_with('"') {
            return pos;
        }
        let Some(next) = scan_tokens(&text[offset..])
            .get(1)
            .map(|t| offset + t.start)
        else {
            return pos;
        };
        let before = &text[..next];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Pos {
            line: before.matches('\n').count() + 1,
            column: 1 + before[line_start..]
                .chars()
                .map(|c| if c == '\t' { 8 } else { 1 })
                .sum::<usize>(),
        }
    }

    fn kind_of(&self, name: &str) -> Option<Kind> {
        if BUILTIN_SCALARS.contains(&name) {
            Some(Kind::BuiltinScalar)
        } else {
            self.by_name.get(name).map(|d| d.kind())
        }
    }

    fn add_type(&mut self, t: &'d TypeDefinition<'static, String>) -> Result<(), CodegenError> {
        let def = match t {
            TypeDefinition::Scalar(s) => Def::Scalar(s),
            TypeDefinition::Enum(e) => Def::Enum(e),
            TypeDefinition::InputObject(i) => Def::Input(i),
            TypeDefinition::Object(o) => Def::Object(o),
            TypeDefinition::Interface(i) => {
                return Err(self.err(
                    i.position,
                    format!(
                        "interface `{}`: interfaces are not supported by the generator; \
                         use object types",
                        i.name
                    ),
                ));
            }
            TypeDefinition::Union(u) => {
                return Err(self.err(
                    u.position,
                    format!(
                        "union `{}`: unions are not supported by the generator; use object types",
                        u.name
                    ),
                ));
            }
        };
        let name = def.name();
        let pos = def.position();
        let what = format!("{} `{name}`", def.kind().describe());
        self.check_name(name, pos, &what)?;
        if BUILTIN_SCALARS.contains(&name) {
            return Err(self.err(
                pos,
                format!("{what}: `{name}` is a built-in scalar and cannot be defined again"),
            ));
        }
        if NON_RAW_KEYWORDS.contains(&name) {
            return Err(self.err(
                pos,
                format!("{what}: `{name}` cannot be the name of a Rust type; rename it"),
            ));
        }
        if GENERATED_NAMES.contains(&name) {
            return Err(self.err(
                pos,
                format!(
                    "{what}: the name `{name}` is taken by the generated code \
                     (`pub type Schema`, `pub const SDL`); rename the type"
                ),
            ));
        }
        if let Some(first) = self.by_name.get(name) {
            return Err(self.err(
                pos,
                format!(
                    "{what}: the name `{name}` is already used by the {} at line {}",
                    first.kind().describe(),
                    first.position().line
                ),
            ));
        }
        self.by_name.insert(name, def);
        self.defs.push(def);
        Ok(())
    }

    /// The traits `<Object>Resolver` and `<Scalar>Scalar` must not have the
    /// name of a type: both live in the same module.
    fn check_generated_names(&self) -> Result<(), CodegenError> {
        for def in &self.defs {
            let suffix = match def {
                Def::Object(_) => "Resolver",
                Def::Scalar(_) => "Scalar",
                _ => continue,
            };
            let generated = format!("{}{suffix}", def.name());
            if let Some(other) = self.by_name.get(generated.as_str()) {
                return Err(self.err(
                    other.position(),
                    format!(
                        "{} `{generated}`: the name is taken by the generated trait for `{}`; \
                         rename the type",
                        other.kind().describe(),
                        def.name()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_name(&self, name: &str, pos: Pos, what: &str) -> Result<(), CodegenError> {
        if name.starts_with("__") {
            return Err(self.err(
                pos,
                format!("{what}: names starting with `__` are reserved for introspection"),
            ));
        }
        Ok(())
    }

    fn roots(
        &mut self,
        schema_def: Option<&SchemaDefinition<'static, String>>,
    ) -> Result<(), CodegenError> {
        let (query, mutation, pos) = match schema_def {
            Some(s) => {
                if let Some(d) = s.directives.first() {
                    return Err(self.err(
                        d.position,
                        format!(
                            "directive `@{}` on the schema definition is not supported",
                            d.name
                        ),
                    ));
                }
                if let Some(sub) = &s.subscription {
                    return Err(self.err(
                        s.position,
                        format!(
                            "`subscription: {sub}`: subscriptions are not supported by the generator"
                        ),
                    ));
                }
                let Some(query) = s.query.clone() else {
                    return Err(self.err(
                        s.position,
                        "the schema definition names no `query` root type".to_string(),
                    ));
                };
                (query, s.mutation.clone(), Some(s.position))
            }
            None => {
                if let Some(sub) = self.by_name.get("Subscription") {
                    return Err(self.err(
                        sub.position(),
                        "`Subscription` would be the subscription root type, and subscriptions \
                         are not supported by the generator; rename the type or add a \
                         `schema { query: ... }` definition"
                            .to_string(),
                    ));
                }
                if !self.by_name.contains_key("Query") {
                    return Err(CodegenError::Invalid {
                        position: None,
                        message: "there is no `Query` type, and no `schema { query: ... }` \
                                  definition naming the query root type"
                            .to_string(),
                        excerpt: String::new(),
                    });
                }
                let mutation = self
                    .by_name
                    .contains_key("Mutation")
                    .then(|| "Mutation".to_string());
                ("Query".to_string(), mutation, None)
            }
        };
        for (role, name) in [("query", Some(&query)), ("mutation", mutation.as_ref())] {
            let Some(name) = name else { continue };
            let pos = pos.unwrap_or_else(|| self.by_name[name.as_str()].position());
            match self.kind_of(name) {
                Some(Kind::Object) => {}
                Some(kind) => {
                    return Err(self.err(
                        pos,
                        format!(
                            "the {role} root type `{name}` is a {}, not an object type",
                            kind.describe()
                        ),
                    ));
                }
                None => {
                    return Err(
                        self.err(pos, format!("the {role} root type `{name}` is not defined"))
                    );
                }
            }
        }
        if mutation.as_ref() == Some(&query) {
            return Err(self.err(
                pos.unwrap_or_default(),
                format!("`{query}` cannot be both the query and the mutation root type"),
            ));
        }
        self.query = query;
        self.mutation = mutation;
        Ok(())
    }

    /// The `@specifiedBy(url:)` of a scalar; any other directive is an error.
    fn scalar_specified_by(&self, s: &SScalar) -> Result<Option<String>, CodegenError> {
        let what = format!("scalar `{}`", s.name);
        let mut url = None;
        for d in &s.directives {
            match (d.name.as_str(), d.arguments.as_slice()) {
                ("specifiedBy", [(arg, Value::String(u))]) if arg == "url" && url.is_none() => {
                    url = Some(u.clone());
                }
                ("specifiedBy", _) => {
                    return Err(self.err(
                        d.position,
                        format!("{what}: `@specifiedBy` takes one argument, `url: String!`"),
                    ));
                }
                _ => return Err(self.unsupported_directive(d, &what, "`@specifiedBy`")),
            }
        }
        Ok(url)
    }

    fn unsupported_directive(&self, d: &SDirective, what: &str, allowed: &str) -> CodegenError {
        let message = if d.name == "oneOf" {
            format!("{what}: `@oneOf` input objects are not supported by the generator")
        } else {
            format!(
                "{what}: the directive `@{}` is not supported here (only {allowed})",
                d.name
            )
        };
        self.err(d.position, message)
    }

    /// The deprecation reason, if `@deprecated` is given; any other directive
    /// is an error.
    fn deprecation(
        &self,
        directives: &[SDirective],
        what: &str,
    ) -> Result<Option<String>, CodegenError> {
        let mut result = None;
        for d in directives {
            if d.name != "deprecated" {
                return Err(self.unsupported_directive(d, what, "`@deprecated`"));
            }
            if result.is_some() {
                return Err(self.err(d.position, format!("{what}: `@deprecated` is given twice")));
            }
            let mut reason = DEFAULT_DEPRECATION_REASON.to_string();
            for (arg, value) in &d.arguments {
                match (arg.as_str(), value) {
                    ("reason", Value::String(r)) => reason = r.clone(),
                    ("reason", Value::Null) => {}
                    _ => {
                        return Err(self.err(
                            d.position,
                            format!("{what}: `@deprecated` takes one argument, `reason: String`"),
                        ));
                    }
                }
            }
            result = Some(reason);
        }
        Ok(result)
    }

    fn check_enum(&self, e: &SEnum) -> Result<(), CodegenError> {
        let what = format!("enum `{}`", e.name);
        if let Some(d) = e.directives.first() {
            return Err(self.unsupported_directive(d, &what, "none"));
        }
        if e.values.is_empty() {
            return Err(self.err(e.position, format!("{what} has no values")));
        }
        let mut graphql_names: HashMap<&str, Pos> = HashMap::new();
        let mut rust_names: HashMap<String, &str> = HashMap::new();
        for v in &e.values {
            let what = format!("enum value `{}.{}`", e.name, v.name);
            self.check_name(&v.name, v.position, &what)?;
            if matches!(v.name.as_str(), "true" | "false" | "null") {
                return Err(self.err(
                    v.position,
                    format!("{what}: `true`, `false` and `null` cannot be enum values"),
                ));
            }
            if let Some(first) = graphql_names.insert(&v.name, v.position) {
                return Err(self.err(
                    v.position,
                    format!("{what} is defined twice (first at line {})", first.line),
                ));
            }
            let rust = variant_ident(&v.name);
            if let Some(other) = rust_names.insert(rust.clone(), &v.name) {
                return Err(self.err(
                    v.position,
                    format!(
                        "{what}: the values `{other}` and `{}` both become the Rust variant \
                         `{rust}`; rename one",
                        v.name
                    ),
                ));
            }
            self.deprecation(&v.directives, &what)?;
        }
        Ok(())
    }

    fn check_input(&self, i: &SInput) -> Result<(), CodegenError> {
        let what = format!("input object `{}`", i.name);
        if let Some(d) = i.directives.first() {
            return Err(self.unsupported_directive(d, &what, "none"));
        }
        if i.fields.is_empty() {
            return Err(self.err(i.position, format!("{what} has no fields")));
        }
        self.check_input_values(
            &i.fields,
            |f| format!("input field `{}.{}`", i.name, f.name),
            field_ident,
        )
    }

    fn check_object(&self, o: &SObject) -> Result<(), CodegenError> {
        let what = format!("type `{}`", o.name);
        if !o.implements_interfaces.is_empty() {
            return Err(self.err(
                o.position,
                format!(
                    "{what} implements {}: interfaces are not supported by the generator",
                    o.implements_interfaces
                        .iter()
                        .map(|i| format!("`{i}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if let Some(d) = o.directives.first() {
            return Err(self.unsupported_directive(d, &what, "none"));
        }
        if o.fields.is_empty() {
            return Err(self.err(o.position, format!("{what} has no fields")));
        }
        let mut graphql_names: HashMap<&str, Pos> = HashMap::new();
        let mut rust_names: HashMap<String, &str> = HashMap::new();
        for f in &o.fields {
            let what = format!("field `{}.{}`", o.name, f.name);
            self.check_name(&f.name, f.position, &what)?;
            if let Some(first) = graphql_names.insert(&f.name, f.position) {
                return Err(self.err(
                    f.position,
                    format!("{what} is defined twice (first at line {})", first.line),
                ));
            }
            let rust = field_ident(&f.name);
            if let Some(other) = rust_names.insert(rust.clone(), &f.name) {
                return Err(self.err(
                    f.position,
                    format!(
                        "{what}: the fields `{other}` and `{}` both become the Rust method \
                         `{rust}`; rename one",
                        f.name
                    ),
                ));
            }
            let base = base_name(&f.field_type);
            match self.kind_of(base) {
                None => {
                    return Err(
                        self.err(f.position, format!("{what} has the unknown type `{base}`"))
                    );
                }
                Some(Kind::Input) => {
                    return Err(self.err(
                        f.position,
                        format!(
                            "{what} has the input object type `{base}`; a field's type must be \
                             an object type, an enum or a scalar"
                        ),
                    ));
                }
                Some(_) => {}
            }
            self.deprecation(&f.directives, &what)?;
            self.check_input_values(
                &f.arguments,
                |a| format!("argument `{}.{}({}:)`", o.name, f.name, a.name),
                arg_ident,
            )?;
        }
        Ok(())
    }

    /// Checks arguments or input fields: names, types, defaults, deprecation.
    fn check_input_values(
        &self,
        values: &[SInputValue],
        describe: impl Fn(&SInputValue) -> String,
        ident: fn(&str) -> String,
    ) -> Result<(), CodegenError> {
        let mut graphql_names: HashMap<&str, Pos> = HashMap::new();
        let mut rust_names: HashMap<String, &str> = HashMap::new();
        for v in values {
            let what = describe(v);
            self.check_name(&v.name, v.position, &what)?;
            if let Some(first) = graphql_names.insert(&v.name, v.position) {
                return Err(self.err(
                    v.position,
                    format!("{what} is defined twice (first at line {})", first.line),
                ));
            }
            let rust = ident(&v.name);
            if let Some(other) = rust_names.insert(rust.clone(), &v.name) {
                return Err(self.err(
                    v.position,
                    format!(
                        "{what}: `{other}` and `{}` both become the Rust name `{rust}`; rename one",
                        v.name
                    ),
                ));
            }
            let base = base_name(&v.value_type);
            match self.kind_of(base) {
                None => {
                    return Err(
                        self.err(v.position, format!("{what} has the unknown type `{base}`"))
                    );
                }
                Some(Kind::Object) => {
                    return Err(self.err(
                        v.position,
                        format!(
                            "{what} has the object type `{base}`; arguments and input fields \
                             must have an input object, enum or scalar type"
                        ),
                    ));
                }
                Some(_) => {}
            }
            if let Some(default) = &v.default_value {
                self.default_expr(&v.value_type, default, &what, v.position)?;
            }
            self.deprecation(&v.directives, &what)?;
        }
        Ok(())
    }

    /// Input objects that contain themselves through non-null, non-list
    /// fields could never be given a value.
    fn check_input_cycles(&self) -> Result<(), CodegenError> {
        for def in &self.defs {
            let Def::Input(start) = def else { continue };
            let mut stack: Vec<(&str, Vec<&str>)> = vec![(start.name.as_str(), vec![])];
            let mut seen: HashSet<&str> = HashSet::new();
            while let Some((name, path)) = stack.pop() {
                let Some(Def::Input(i)) = self.by_name.get(name) else {
                    continue;
                };
                for f in &i.fields {
                    let Type::NonNullType(inner) = &f.value_type else {
                        continue;
                    };
                    let Type::NamedType(next) = inner.as_ref() else {
                        continue;
                    };
                    let mut path = path.clone();
                    path.push(&f.name);
                    if next == &start.name {
                        return Err(self.err(
                            start.position,
                            format!(
                                "input object `{}` contains itself through the non-null fields \
                                 `{}`, so no value of it could be written; make one of them \
                                 nullable",
                                start.name,
                                path.join("` → `")
                            ),
                        ));
                    }
                    if seen.insert(next) {
                        stack.push((next, path));
                    }
                }
            }
        }
        Ok(())
    }

    /// async-graphql only serves the types reachable from the root types.
    fn check_reachable(&self) -> Result<(), CodegenError> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<&str> = VecDeque::new();
        queue.push_back(&self.query);
        if let Some(m) = &self.mutation {
            queue.push_back(m);
        }
        while let Some(name) = queue.pop_front() {
            if !seen.insert(name) {
                continue;
            }
            match self.by_name.get(name) {
                Some(Def::Object(o)) => {
                    for f in &o.fields {
                        queue.push_back(base_name(&f.field_type));
                        for a in &f.arguments {
                            queue.push_back(base_name(&a.value_type));
                        }
                    }
                }
                Some(Def::Input(i)) => {
                    for f in &i.fields {
                        queue.push_back(base_name(&f.value_type));
                    }
                }
                _ => {}
            }
        }
        for def in &self.defs {
            if !seen.contains(def.name()) {
                let roots = match &self.mutation {
                    Some(m) => format!("`{}` and `{m}`", self.query),
                    None => format!("`{}`", self.query),
                };
                return Err(self.err(
                    def.position(),
                    format!(
                        "{} `{}` is not used by any field or argument reachable from {roots}, \
                         so the served schema would not contain it; use it or remove it",
                        def.kind().describe(),
                        def.name()
                    ),
                ));
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------
    // Types and default values

    fn named_rust_type(&self, name: &str) -> String {
        match name {
            "String" => "::std::string::String".to_string(),
            "Int" => "::std::primitive::i32".to_string(),
            "Float" => "::std::primitive::f64".to_string(),
            "Boolean" => "::std::primitive::bool".to_string(),
            "ID" => "::async_graphql::ID".to_string(),
            other => rust_ident(other),
        }
    }

    /// The Rust type of a GraphQL type; `boxed` puts a named (non-list) type
    /// in a `Box` (recursive input objects).
    fn rust_type(&self, ty: &SType, boxed: bool) -> String {
        match ty {
            Type::NonNullType(inner) => self.rust_type_non_null(inner, boxed),
            other => format!(
                "::std::option::Option<{}>",
                self.rust_type_non_null(other, boxed)
            ),
        }
    }

    fn rust_type_non_null(&self, ty: &SType, boxed: bool) -> String {
        match ty {
            Type::NamedType(name) if boxed => {
                format!("::std::boxed::Box<{}>", self.named_rust_type(name))
            }
            Type::NamedType(name) => self.named_rust_type(name),
            Type::ListType(inner) => format!("::std::vec::Vec<{}>", self.rust_type(inner, false)),
            // `T!!` does not parse.
            Type::NonNullType(inner) => self.rust_type_non_null(inner, boxed),
        }
    }

    /// Whether the input field `owner.field` must be boxed: its type is an
    /// input object (not in a list) from which `owner` can be reached again.
    fn needs_box(&self, owner: &str, ty: &SType) -> bool {
        let Some(start) = direct_name(ty) else {
            return false;
        };
        let mut stack = vec![start];
        let mut seen: HashSet<&str> = HashSet::new();
        while let Some(name) = stack.pop() {
            if name == owner {
                return true;
            }
            if !seen.insert(name) {
                continue;
            }
            if let Some(Def::Input(i)) = self.by_name.get(name) {
                stack.extend(i.fields.iter().filter_map(|f| direct_name(&f.value_type)));
            }
        }
        false
    }

    /// The Rust expression for a default value (for `default_with`).
    fn default_expr(
        &self,
        ty: &SType,
        value: &SValue,
        what: &str,
        pos: Pos,
    ) -> Result<String, CodegenError> {
        match (ty, value) {
            (Type::NonNullType(_), Value::Null) => Err(self.err(
                pos,
                format!("{what}: `null` cannot be the default of the non-null type `{ty}`"),
            )),
            (Type::NonNullType(inner), _) => self.default_expr_non_null(inner, value, what, pos),
            (_, Value::Null) => Ok("::std::option::Option::None".to_string()),
            _ => Ok(format!(
                "::std::option::Option::Some({})",
                self.default_expr_non_null(ty, value, what, pos)?
            )),
        }
    }

    fn default_expr_non_null(
        &self,
        ty: &SType,
        value: &SValue,
        what: &str,
        pos: Pos,
    ) -> Result<String, CodegenError> {
        let unsupported = |reason: &str| {
            self.err(
                pos,
                format!(
                    "{what}: the default value `{value}` is not supported ({reason}); \
                     only scalar and enum literals are"
                ),
            )
        };
        let mismatch = || {
            self.err(
                pos,
                format!("{what}: the default value `{value}` is not a valid `{ty}`"),
            )
        };
        let name = match ty {
            Type::NamedType(name) => name.as_str(),
            Type::ListType(_) => return Err(unsupported("a list")),
            Type::NonNullType(inner) => return self.default_expr_non_null(inner, value, what, pos),
        };
        if matches!(value, Value::List(_)) {
            return Err(unsupported("a list"));
        }
        if matches!(value, Value::Object(_)) {
            return Err(unsupported("an input object"));
        }
        if matches!(value, Value::Variable(_)) {
            return Err(unsupported("a variable"));
        }
        let expr = match (self.kind_of(name), name, value) {
            (Some(Kind::BuiltinScalar), "Int", Value::Int(n)) => {
                let n = n
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(mismatch)?;
                n.to_string()
            }
            (Some(Kind::BuiltinScalar), "Float", Value::Int(n)) => {
                let n = n.as_i64().ok_or_else(mismatch)?;
                // An exact conversion for any value GraphQL's Int can hold.
                format!("{:?}", f64::from(i32::try_from(n).map_err(|_| mismatch())?))
            }
            (Some(Kind::BuiltinScalar), "Float", Value::Float(x)) => format!("{x:?}"),
            (Some(Kind::BuiltinScalar), "String", Value::String(s)) => {
                format!("::std::string::String::from({})", lit(s))
            }
            (Some(Kind::BuiltinScalar), "ID", Value::String(s)) => {
                format!("::async_graphql::ID::from({})", lit(s))
            }
            (Some(Kind::BuiltinScalar), "Boolean", Value::Boolean(b)) => b.to_string(),
            (Some(Kind::Enum), _, Value::Enum(v)) => {
                let Some(Def::Enum(e)) = self.by_name.get(name) else {
                    return Err(mismatch());
                };
                if !e.values.iter().any(|ev| &ev.name == v) {
                    return Err(self.err(
                        pos,
                        format!(
                            "{what}: the default value `{v}` is not a value of the enum `{name}`"
                        ),
                    ));
                }
                format!("{}::{}", rust_ident(name), variant_ident(v))
            }
            (
                Some(Kind::Scalar),
                _,
                Value::String(_) | Value::Int(_) | Value::Float(_) | Value::Boolean(_),
            ) => {
                let graphql_value = match value {
                    Value::String(s) => format!(
                        "::async_graphql::Value::from(::std::string::String::from({}))",
                        lit(s)
                    ),
                    Value::Int(n) => format!(
                        "::async_graphql::Value::from({}_i64)",
                        n.as_i64().ok_or_else(mismatch)?
                    ),
                    Value::Float(x) => format!("::async_graphql::Value::from({x:?}_f64)"),
                    Value::Boolean(b) => format!("::async_graphql::Value::from({b})"),
                    _ => return Err(mismatch()),
                };
                let panic_message = format!(
                    "{SOURCE_NAME}: the default value `{value}` of {what} is not a valid `{name}`"
                );
                format!(
                    "match <{ty} as {name}Scalar>::parse({graphql_value}) {{ \
                     ::std::result::Result::Ok(value) => value, \
                     ::std::result::Result::Err(_) => ::std::panic!(\"{{}}\", {msg}) }}",
                    ty = rust_ident(name),
                    msg = lit(&panic_message),
                )
            }
            (Some(Kind::Input), _, _) => return Err(unsupported("an input object")),
            _ => return Err(mismatch()),
        };
        Ok(expr)
    }

    // -----------------------------------------------------------------------
    // Emitting

    fn emit(&self) -> Result<String, CodegenError> {
        let mut out = String::new();
        out.push_str(
            "// @generated from schema.graphql by build.rs (src/codegen.rs). Do not edit this\n\
             // file: edit schema.graphql and rebuild. It is `include!`d into a module where the\n\
             // hand-written object types and custom scalars are in scope under their GraphQL\n\
             // names.\n",
        );
        for def in &self.defs {
            out.push('\n');
            match def {
                Def::Scalar(s) => self.emit_scalar(&mut out, s)?,
                Def::Enum(e) => self.emit_enum(&mut out, e)?,
                Def::Input(i) => self.emit_input(&mut out, i)?,
                Def::Object(o) => self.emit_object(&mut out, o)?,
            }
        }
        let mutation = match &self.mutation {
            Some(m) => rust_ident(m),
            None => "::async_graphql::EmptyMutation".to_string(),
        };
        let _ = write!(
            out,
            "\n/// The schema of schema.graphql: build it with `Schema::build({query}, {mutation}, \
             ::async_graphql::EmptySubscription)`.\n\
             pub type Schema = ::async_graphql::Schema<{query}, {mutation}, \
             ::async_graphql::EmptySubscription>;\n",
            query = rust_ident(&self.query),
        );
        let _ = write!(
            out,
            "\n/// The text of schema.graphql that this code was generated from.\n\
             pub const SDL: &str = {};\n",
            long_lit(self.src)
        );
        Ok(out)
    }

    fn emit_doc(out: &mut String, indent: &str, description: &Option<String>) {
        if let Some(d) = non_empty(description) {
            let _ = writeln!(out, "{indent}#[doc = {}]", lit(d));
        }
    }

    fn emit_scalar(&self, out: &mut String, s: &SScalar) -> Result<(), CodegenError> {
        let ty = rust_ident(&s.name);
        let name = &s.name;
        let _ = write!(
            out,
            "/// How the hand-written type `{ty}` is read from and written as the GraphQL scalar\n\
             /// `{name}`. The generated `ScalarType` impl of `{ty}` forwards to this trait.\n\
             {ALLOW_LINTS}\n\
             pub trait {name}Scalar: ::std::marker::Sized {{\n\
             \x20   /// Reads a value given in a query or in variables; an error makes the request fail.\n\
             \x20   fn parse(value: ::async_graphql::Value) -> ::async_graphql::InputValueResult<Self>;\n\
             \x20   /// Writes the value into a response.\n\
             \x20   fn to_value(&self) -> ::async_graphql::Value;\n\
             }}\n\n"
        );
        Self::emit_doc(out, "", &s.description);
        let specified_by = match self.scalar_specified_by(s)? {
            Some(url) => format!(", specified_by_url = {}", lit(&url)),
            None => String::new(),
        };
        let _ = write!(
            out,
            "#[::async_graphql::Scalar(name = {name_lit}{specified_by})]\n\
             {ALLOW_LINTS}\n\
             impl ::async_graphql::ScalarType for {ty} {{\n\
             \x20   fn parse(value: ::async_graphql::Value) -> ::async_graphql::InputValueResult<Self> {{\n\
             \x20       <{ty} as {name}Scalar>::parse(value)\n\
             \x20   }}\n\n\
             \x20   fn to_value(&self) -> ::async_graphql::Value {{\n\
             \x20       <{ty} as {name}Scalar>::to_value(self)\n\
             \x20   }}\n\
             }}\n",
            name_lit = lit(name),
        );
        Ok(())
    }

    fn emit_enum(&self, out: &mut String, e: &SEnum) -> Result<(), CodegenError> {
        Self::emit_doc(out, "", &e.description);
        let _ = write!(
            out,
            "#[derive(::async_graphql::Enum, ::std::marker::Copy, ::std::clone::Clone, \
             ::std::fmt::Debug, ::std::cmp::Eq, ::std::cmp::PartialEq)]\n\
             #[graphql(name = {})]\n\
             {ALLOW_LINTS}\n\
             pub enum {} {{\n",
            lit(&e.name),
            rust_ident(&e.name)
        );
        for v in &e.values {
            let what = format!("enum value `{}.{}`", e.name, v.name);
            Self::emit_doc(out, "    ", &v.description);
            let deprecation = match self.deprecation(&v.directives, &what)? {
                Some(reason) => format!(", deprecation = {}", lit(&reason)),
                None => String::new(),
            };
            let _ = write!(
                out,
                "    #[graphql(name = {}{deprecation})]\n    {},\n",
                lit(&v.name),
                variant_ident(&v.name)
            );
        }
        out.push_str("}\n");
        Ok(())
    }

    fn emit_input(&self, out: &mut String, i: &SInput) -> Result<(), CodegenError> {
        Self::emit_doc(out, "", &i.description);
        let _ = write!(
            out,
            "#[derive(::async_graphql::InputObject)]\n\
             #[graphql(name = {})]\n\
             {ALLOW_LINTS}\n\
             pub struct {} {{\n",
            lit(&i.name),
            rust_ident(&i.name)
        );
        for f in &i.fields {
            let what = format!("input field `{}.{}`", i.name, f.name);
            Self::emit_doc(out, "    ", &f.description);
            let attrs = self.input_value_attrs(f, &what, false)?;
            let boxed = self.needs_box(&i.name, &f.value_type);
            let _ = write!(
                out,
                "    #[graphql({attrs})]\n    pub {}: {},\n",
                field_ident(&f.name),
                self.rust_type(&f.value_type, boxed)
            );
        }
        out.push_str("}\n");
        Ok(())
    }

    /// `name = ..., desc = ..., default_with = ..., deprecation = ...` for an
    /// argument (`with_desc`) or an input field (described by its doc).
    fn input_value_attrs(
        &self,
        v: &SInputValue,
        what: &str,
        with_desc: bool,
    ) -> Result<String, CodegenError> {
        let mut attrs = format!("name = {}", lit(&v.name));
        if with_desc {
            if let Some(d) = non_empty(&v.description) {
                let _ = write!(attrs, ", desc = {}", lit(d));
            }
        }
        if let Some(default) = &v.default_value {
            let expr = self.default_expr(&v.value_type, default, what, v.position)?;
            let _ = write!(attrs, ", default_with = {}", lit(&expr));
        }
        if let Some(reason) = self.deprecation(&v.directives, what)? {
            let _ = write!(attrs, ", deprecation = {}", lit(&reason));
        }
        if is_secret(&v.name) {
            attrs.push_str(", secret");
        }
        Ok(attrs)
    }

    fn emit_object(&self, out: &mut String, o: &SObject) -> Result<(), CodegenError> {
        let ty = rust_ident(&o.name);
        let name = &o.name;
        let _ = write!(
            out,
            "/// The resolvers of the GraphQL object type `{name}`, one method per field.\n\
             /// Implement it for the hand-written type `{ty}`; the generated `#[Object] impl {ty}`\n\
             /// forwards every field to it.\n\
             {ALLOW_LINTS}\n\
             pub trait {name}Resolver: ::std::marker::Send + ::std::marker::Sync {{\n"
        );
        let mut forwards = String::new();
        for (n, f) in o.fields.iter().enumerate() {
            let what = format!("field `{name}.{}`", f.name);
            let method = field_ident(&f.name);
            let ret = self.rust_type(&f.field_type, false);
            let params: Vec<(String, String)> = f
                .arguments
                .iter()
                .map(|a| (arg_ident(&a.name), self.rust_type(&a.value_type, false)))
                .collect();

            // The trait method.
            if n > 0 {
                out.push('\n');
            }
            let deprecation = self.deprecation(&f.directives, &what)?;
            let mut doc = format!("`{name}.{}`", field_signature(f));
            if let Some(d) = non_empty(&f.description) {
                let _ = write!(doc, "\n\n{d}");
            }
            if let Some(reason) = &deprecation {
                let _ = write!(doc, "\n\nDeprecated: {reason}");
            }
            let _ = writeln!(out, "    #[doc = {}]", lit(&doc));
            let _ = write!(
                out,
                "    fn {method}(\n        &self,\n        ctx: &::async_graphql::Context<'_>,\n"
            );
            for (arg, arg_ty) in &params {
                let _ = writeln!(out, "        {arg}: {arg_ty},");
            }
            let _ = writeln!(
                out,
                "    ) -> impl ::std::future::Future<Output = ::async_graphql::Result<{ret}>> \
                 + ::std::marker::Send;"
            );

            // The forwarding method of the `#[Object]` impl.
            if n > 0 {
                forwards.push('\n');
            }
            Self::emit_doc(&mut forwards, "    ", &f.description);
            let deprecation = match &deprecation {
                Some(reason) => format!(", deprecation = {}", lit(reason)),
                None => String::new(),
            };
            let _ = write!(
                forwards,
                "    #[graphql(name = {}{deprecation})]\n\
                 \x20   async fn __gql_{}(\n\
                 \x20       &self,\n\
                 \x20       ctx: &::async_graphql::Context<'_>,\n",
                lit(&f.name),
                snake_case(&f.name),
            );
            for (a, (arg, arg_ty)) in f.arguments.iter().zip(&params) {
                let arg_what = format!("argument `{name}.{}({}:)`", f.name, a.name);
                let attrs = self.input_value_attrs(a, &arg_what, true)?;
                let _ = writeln!(forwards, "        #[graphql({attrs})] {arg}: {arg_ty},");
            }
            let args: String = params.iter().map(|(arg, _)| format!(", {arg}")).collect();
            let _ = write!(
                forwards,
                "    ) -> ::async_graphql::Result<{ret}> {{\n\
                 \x20       <{ty} as {name}Resolver>::{method}(self, ctx{args}).await\n\
                 \x20   }}\n"
            );
        }
        out.push_str("}\n\n");
        Self::emit_doc(out, "", &o.description);
        let _ = write!(
            out,
            "#[::async_graphql::Object(name = {})]\n\
             {ALLOW_LINTS}\n\
             impl {ty} {{\n{forwards}}}\n",
            lit(name)
        );
        Ok(())
    }
}

/// Arguments and input fields whose name says they hold a credential are
/// marked `secret`: async-graphql then masks their values when an extension
/// (logger, tracing) prints the query.
fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["password", "token", "secret"]
        .iter()
        .any(|word| name.contains(word))
}

/// `name(arg: Type = default, ...): Type`, for documentation.
fn field_signature(f: &SField) -> String {
    let mut s = f.name.clone();
    if !f.arguments.is_empty() {
        let args: Vec<String> = f
            .arguments
            .iter()
            .map(|a| match &a.default_value {
                Some(d) => format!("{}: {} = {d}", a.name, a.value_type),
                None => format!("{}: {}", a.name, a.value_type),
            })
            .collect();
        let _ = write!(s, "({})", args.join(", "));
    }
    let _ = write!(s, ": {}", f.field_type);
    s
}

fn extension_parts<'e>(e: &'e TypeExtension<'static, String>) -> (&'static str, &'e str, Pos) {
    match e {
        TypeExtension::Scalar(x) => ("scalar", &x.name, x.position),
        TypeExtension::Object(x) => ("type", &x.name, x.position),
        TypeExtension::Interface(x) => ("interface", &x.name, x.position),
        TypeExtension::Union(x) => ("union", &x.name, x.position),
        TypeExtension::Enum(x) => ("enum", &x.name, x.position),
        TypeExtension::InputObject(x) => ("input", &x.name, x.position),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(sdl: &str) -> String {
        generate(sdl).unwrap_or_else(|e| panic!("generate failed:\n{e}"))
    }

    fn gen_err(sdl: &str) -> String {
        match generate(sdl) {
            Ok(code) => panic!("expected an error, got:\n{code}"),
            Err(e) => e.to_string(),
        }
    }

    fn assert_contains(haystack: &str, needle: &str) {
        assert!(
            haystack.contains(needle),
            "expected to find\n{needle}\nin\n{haystack}"
        );
    }

    /// The text of the generated item that starts with `start`, up to the
    /// next line that is just `}`.
    fn item<'a>(code: &'a str, start: &str) -> &'a str {
        let from = code
            .find(start)
            .unwrap_or_else(|| panic!("no `{start}` in\n{code}"));
        let len = code[from..]
            .find("\n}\n")
            .map_or(code.len() - from, |i| i + 3);
        &code[from..from + len]
    }

    const USERS: &str = r#"
"Read-only operations."
type Query {
  "The caller."
  me: User
  users(
    "How many to skip."
    offset: Int = 0
    limit: Int! = 100
    tags: [String!]
  ): [User!]!
  old: User @deprecated(reason: "Use `me`.")
  older: User @deprecated
}

"A user."
type User {
  id: ID!
  isActive: Boolean!
  nicknames: [String]
  score: Float
  type: String!
  ObtainJSONWebToken: String
}
"#;

    #[test]
    fn a_syntax_error_names_the_line_and_column() {
        let err = generate("type Query {\n  me: String\n  you(: Int): String\n}\n").unwrap_err();
        assert_eq!(err.line(), Some(3));
        let text = err.to_string();
        assert!(
            text.starts_with("schema.graphql: syntax error at line 3, column 7: "),
            "{text}"
        );
        assert_contains(&text, " 3 |   you(: Int): String\n   |       ^");
    }

    #[test]
    fn a_syntax_error_after_a_schema_description_and_crlf_comments_names_the_right_line() {
        let sdl = "\"\"\"\r\nThe schema.\r\n\"\"\"\r\nschema { query: Query }\r\n# a comment\r\ntype Query {\r\n  me: String!!\r\n}\r\n";
        let err = generate(sdl).unwrap_err();
        assert_eq!(err.line(), Some(7), "{err}");
    }

    #[test]
    fn a_schema_description_is_accepted_although_graphql_parser_cannot_read_it() {
        let sdl = "\"\"\"\nThe API.\n\"\"\"\nschema { query: Query }\ntype Query { me: String }\n";
        let (cleaned, description) = strip_schema_description(sdl);
        assert_eq!(description.as_deref(), Some("The API."));
        assert_eq!(cleaned.lines().count(), sdl.lines().count());
        assert!(
            cleaned.starts_with("   \n        \n   \nschema"),
            "{cleaned:?}"
        );
        assert_contains(&gen(sdl), "pub type Schema = ::async_graphql::Schema<Query, ::async_graphql::EmptyMutation, ::async_graphql::EmptySubscription>;");
    }

    #[test]
    fn type_descriptions_are_not_taken_for_a_schema_description() {
        let sdl = "\"Q\" type Query { \"f\" me(\"a\" x: String = \"schema\"): String }\n";
        let (cleaned, description) = strip_schema_description(sdl);
        assert_eq!(description, None);
        assert_eq!(cleaned, sdl);
    }

    #[test]
    fn an_unknown_type_is_an_error_naming_the_type_and_the_field() {
        let err = gen_err("type Query {\n  \"The caller.\"\n  me: Usr\n}\n");
        assert_contains(
            &err,
            "error at line 3, column 3: field `Query.me` has the unknown type `Usr`",
        );
        let err = gen_err("type Query { me(filter: [Fltr!]): String }");
        assert_contains(
            &err,
            "argument `Query.me(filter:)` has the unknown type `Fltr`",
        );
    }

    #[test]
    fn an_interface_is_rejected_clearly() {
        let err = gen_err("interface Node { id: ID! }\ntype Query { node: Node }");
        assert_contains(
            &err,
            "line 1, column 1: interface `Node`: interfaces are not supported",
        );
    }

    #[test]
    fn a_union_is_rejected_clearly() {
        let err = gen_err("type Query { a: String }\nunion Result = Query");
        assert_contains(
            &err,
            "line 2, column 1: union `Result`: unions are not supported",
        );
    }

    #[test]
    fn other_unsupported_constructs_are_rejected_naming_the_place() {
        let cases = [
            (
                "schema { query: Query subscription: Query }\ntype Query { a: String }",
                "`subscription: Query`: subscriptions are not supported",
            ),
            (
                "type Query { a: String }\ntype Subscription { b: String }",
                "`Subscription` would be the subscription root type",
            ),
            (
                "type Query { a: String }\nextend type Query { b: String }",
                "`extend type Query`: type extensions are not supported",
            ),
            (
                "directive @auth on FIELD_DEFINITION\ntype Query { a: String @auth }",
                "`directive @auth`: custom directives are not supported",
            ),
            (
                "type Query { a: String @auth }",
                "field `Query.a`: the directive `@auth` is not supported here (only `@deprecated`)",
            ),
            (
                "type Query { a(f: F = {x: 1}): String }\ninput F { x: Int }",
                "argument `Query.a(f:)`: the default value `{x: 1}` is not supported (an input object)",
            ),
            (
                "type Query { a(f: F): String }\ninput F { x: [Int] = [1] }",
                "input field `F.x`: the default value `[1]` is not supported (a list)",
            ),
            (
                "type Query { a(f: F): String }\ninput F @oneOf { x: Int }",
                "input object `F`: `@oneOf` input objects are not supported",
            ),
            (
                "type Query implements Node { a: String }",
                "type `Query` implements `Node`: interfaces are not supported",
            ),
        ];
        for (sdl, expected) in cases {
            assert_contains(&gen_err(sdl), expected);
        }
    }

    #[test]
    fn duplicate_and_clashing_names_are_rejected() {
        let err = gen_err("type Query { a: String }\ntype Query { b: String }");
        assert_contains(&err, "line 2, column 1: object type `Query`: the name `Query` is already used by the object type at line 1");
        let err = gen_err("type Query { a: String, a: Int }");
        assert_contains(&err, "field `Query.a` is defined twice");
        let err = gen_err("type Query { fooBar: String, foo_bar: Int }");
        assert_contains(
            &err,
            "the fields `fooBar` and `foo_bar` both become the Rust method `foo_bar`",
        );
        let err = gen_err("type Query { a: E }\nenum E { ONE_TWO, OneTwo }");
        assert_contains(
            &err,
            "the values `ONE_TWO` and `OneTwo` both become the Rust variant `OneTwo`",
        );
        let err = gen_err("type Query { a: QueryResolver }\ntype QueryResolver { b: String }");
        assert_contains(
            &err,
            "object type `QueryResolver`: the name is taken by the generated trait for `Query`",
        );
        let err = gen_err("type Query { a: String }\nscalar String");
        assert_contains(
            &err,
            "`String` is a built-in scalar and cannot be defined again",
        );
        let err = gen_err("type Query { a: Schema }\ntype Schema { b: String }");
        assert_contains(&err, "the name `Schema` is taken by the generated code");
    }

    #[test]
    fn types_of_the_wrong_kind_and_unreachable_types_are_rejected() {
        let err = gen_err("type Query { a: F }\ninput F { x: Int }");
        assert_contains(&err, "field `Query.a` has the input object type `F`");
        let err = gen_err("type Query { a(u: User): String }\ntype User { id: ID }");
        assert_contains(&err, "argument `Query.a(u:)` has the object type `User`");
        let err = gen_err("type Query { a: String }\ntype Orphan { b: String }");
        assert_contains(&err, "line 2, column 1: object type `Orphan` is not used by any field or argument reachable from `Query`");
        let err = gen_err("type Mutation { a: String }");
        assert_contains(&err, "there is no `Query` type");
        let err = gen_err("type Query { a(f: F): String }\ninput F { g: G! }\ninput G { f: F! }");
        assert_contains(
            &err,
            "input object `F` contains itself through the non-null fields `g` → `f`",
        );
    }

    #[test]
    fn bad_default_values_are_rejected() {
        let err = gen_err("type Query { a(n: Int = \"x\"): String }");
        assert_contains(
            &err,
            "argument `Query.a(n:)`: the default value `\"x\"` is not a valid `Int`",
        );
        let err = gen_err("type Query { a(n: Int! = null): String }");
        assert_contains(
            &err,
            "`null` cannot be the default of the non-null type `Int!`",
        );
        let err = gen_err("type Query { a(n: Int = 3000000000): String }");
        assert_contains(&err, "is not a valid `Int`");
        let err = gen_err("type Query { a(e: E = THREE): String }\nenum E { ONE TWO }");
        assert_contains(
            &err,
            "the default value `THREE` is not a value of the enum `E`",
        );
    }

    #[test]
    fn an_object_type_becomes_a_resolver_trait_with_rust_signatures() {
        let code = gen(USERS);
        let query = item(&code, "pub trait QueryResolver");
        assert_contains(
            query,
            "pub trait QueryResolver: ::std::marker::Send + ::std::marker::Sync {",
        );
        assert_contains(
            query,
            "    fn me(\n        &self,\n        ctx: &::async_graphql::Context<'_>,\n    ) -> impl ::std::future::Future<Output = ::async_graphql::Result<::std::option::Option<User>>> + ::std::marker::Send;",
        );
        assert_contains(
            query,
            "    fn users(\n        &self,\n        ctx: &::async_graphql::Context<'_>,\n        offset: ::std::option::Option<::std::primitive::i32>,\n        limit: ::std::primitive::i32,\n        tags: ::std::option::Option<::std::vec::Vec<::std::string::String>>,\n    ) -> impl ::std::future::Future<Output = ::async_graphql::Result<::std::vec::Vec<User>>> + ::std::marker::Send;",
        );
        let user = item(&code, "pub trait UserResolver");
        assert_contains(user, "fn id(\n");
        assert_contains(user, "::async_graphql::Result<::async_graphql::ID>>");
        assert_contains(user, "fn is_active(\n");
        assert_contains(user, "::async_graphql::Result<::std::primitive::bool>>");
        assert_contains(
            user,
            "::async_graphql::Result<::std::option::Option<::std::vec::Vec<::std::option::Option<::std::string::String>>>>>",
        );
        assert_contains(
            user,
            "::async_graphql::Result<::std::option::Option<::std::primitive::f64>>>",
        );
    }

    #[test]
    fn the_object_impl_forwards_every_field_with_explicit_names() {
        let code = gen(USERS);
        let query = item(&code, "#[::async_graphql::Object(name = \"Query\")]");
        assert_contains(
            query,
            "    #[graphql(name = \"users\")]\n    async fn __gql_users(\n        &self,\n        ctx: &::async_graphql::Context<'_>,\n        #[graphql(name = \"offset\", desc = \"How many to skip.\", default_with = \"::std::option::Option::Some(0)\")] offset: ::std::option::Option<::std::primitive::i32>,\n        #[graphql(name = \"limit\", default_with = \"100\")] limit: ::std::primitive::i32,\n        #[graphql(name = \"tags\")] tags: ::std::option::Option<::std::vec::Vec<::std::string::String>>,\n    ) -> ::async_graphql::Result<::std::vec::Vec<User>> {\n        <Query as QueryResolver>::users(self, ctx, offset, limit, tags).await\n    }",
        );
        let user = item(&code, "#[::async_graphql::Object(name = \"User\")]");
        assert_contains(
            user,
            "#[graphql(name = \"isActive\")]\n    async fn __gql_is_active(",
        );
        assert_contains(user, "<User as UserResolver>::is_active(self, ctx).await");
    }

    #[test]
    fn deprecations_and_descriptions_are_carried() {
        let code = gen(USERS);
        assert_contains(
            &code,
            "#[doc = \"Read-only operations.\"]\n#[::async_graphql::Object(name = \"Query\")]",
        );
        assert_contains(
            &code,
            "    #[doc = \"The caller.\"]\n    #[graphql(name = \"me\")]",
        );
        assert_contains(
            &code,
            "#[graphql(name = \"old\", deprecation = \"Use `me`.\")]",
        );
        // The spec's default reason when none is given.
        assert_contains(
            &code,
            "#[graphql(name = \"older\", deprecation = \"No longer supported\")]",
        );
        // The trait method's documentation shows the GraphQL signature.
        assert_contains(
            &code,
            "#[doc = \"`Query.old: User`\\n\\nDeprecated: Use `me`.\"]",
        );
        let code = gen(
            "type Query { a(\n  \"\"\"\n  Line one.\n    Line two.\n  \"\"\"\n  x: Int @deprecated(reason: \"No.\")\n): String }",
        );
        assert_contains(
            &code,
            "#[graphql(name = \"x\", desc = \"Line one.\\n  Line two.\", deprecation = \"No.\")] x:",
        );
    }

    #[test]
    fn names_are_snake_cased_and_rust_keywords_escaped() {
        assert_eq!(snake_case("isActive"), "is_active");
        assert_eq!(snake_case("ObtainJSONWebToken"), "obtain_json_web_token");
        assert_eq!(snake_case("HTTPStatus"), "http_status");
        assert_eq!(snake_case("sha256Hash"), "sha256_hash");
        assert_eq!(snake_case("_private"), "_private");
        assert_eq!(camel_case("HTTP2_PUSH"), "Http2Push");
        assert_eq!(camel_case("someValue"), "SomeValue");
        assert_eq!(field_ident("type"), "r#type");
        assert_eq!(field_ident("self"), "self_");
        assert_eq!(arg_ident("ctx"), "ctx_");
        assert_eq!(variant_ident("SELF"), "Self_");

        let code = gen(USERS);
        let user = item(&code, "pub trait UserResolver");
        assert_contains(user, "    fn r#type(\n");
        assert_contains(user, "    fn obtain_json_web_token(\n");
        assert_contains(
            &code,
            "#[graphql(name = \"type\")]\n    async fn __gql_type(",
        );
        assert_contains(&code, "<User as UserResolver>::r#type(self, ctx).await");
        let code = gen("type Query { search(in: Int, ctx: Int, self: Int): String }");
        assert_contains(&code, "#[graphql(name = \"in\")] r#in: ");
        assert_contains(&code, "#[graphql(name = \"ctx\")] ctx_: ");
        assert_contains(&code, "#[graphql(name = \"self\")] self_: ");
        assert_contains(&code, "::search(self, ctx, r#in, ctx_, self_).await");
    }

    #[test]
    fn an_enum_is_generated_with_explicit_value_names_and_camel_case_variants() {
        let code = gen(
            "type Query { order(o: Order = NEWEST_FIRST): Order }\n\
             \"The order.\"\nenum Order {\n  \"Oldest first.\"\n  OLDEST_FIRST\n  NEWEST_FIRST @deprecated(reason: \"Slow.\")\n  type\n}",
        );
        assert_eq!(
            item(&code, "#[doc = \"The order.\"]"),
            "#[doc = \"The order.\"]\n\
             #[derive(::async_graphql::Enum, ::std::marker::Copy, ::std::clone::Clone, ::std::fmt::Debug, ::std::cmp::Eq, ::std::cmp::PartialEq)]\n\
             #[graphql(name = \"Order\")]\n\
             #[allow(missing_docs, non_camel_case_types, clippy::all, clippy::pedantic, clippy::nursery, rustdoc::all)]\n\
             pub enum Order {\n    \
                 #[doc = \"Oldest first.\"]\n    \
                 #[graphql(name = \"OLDEST_FIRST\")]\n    \
                 OldestFirst,\n    \
                 #[graphql(name = \"NEWEST_FIRST\", deprecation = \"Slow.\")]\n    \
                 NewestFirst,\n    \
                 #[graphql(name = \"type\")]\n    \
                 Type,\n\
             }\n"
        );
        assert_contains(
            &code,
            "default_with = \"::std::option::Option::Some(Order::NewestFirst)\"",
        );
    }

    #[test]
    fn an_input_object_is_generated_without_debug_and_with_defaults() {
        let code = gen(
            "type Query { find(filter: Filter!): String }\n\
             \"What to find.\"\ninput Filter {\n  \"Text.\"\n  text: String = \"a \\\"b\\\"\"\n  limit: Int! = 10\n  ratio: Float = 1\n  exact: Boolean = false\n  id: ID = \"x\"\n  none: String = null\n  newPassword: String\n  next: Filter\n  all: [Filter!]\n}",
        );
        let input = item(&code, "#[doc = \"What to find.\"]");
        assert!(!input.contains("Debug"), "{input}");
        assert_contains(
            input,
            "#[derive(::async_graphql::InputObject)]\n#[graphql(name = \"Filter\")]\n",
        );
        assert_contains(input, "pub struct Filter {\n");
        assert_contains(
            input,
            "    #[doc = \"Text.\"]\n    #[graphql(name = \"text\", default_with = \"::std::option::Option::Some(::std::string::String::from(\\\"a \\\\\\\"b\\\\\\\"\\\"))\")]\n    pub text: ::std::option::Option<::std::string::String>,\n",
        );
        assert_contains(input, "#[graphql(name = \"limit\", default_with = \"10\")]\n    pub limit: ::std::primitive::i32,\n");
        assert_contains(input, "default_with = \"::std::option::Option::Some(1.0)\")]\n    pub ratio: ::std::option::Option<::std::primitive::f64>,");
        assert_contains(
            input,
            "default_with = \"::std::option::Option::Some(false)\"",
        );
        assert_contains(
            input,
            "default_with = \"::std::option::Option::Some(::async_graphql::ID::from(\\\"x\\\"))\"",
        );
        assert_contains(input, "default_with = \"::std::option::Option::None\"");
        // Credentials are masked where async-graphql prints queries.
        assert_contains(
            input,
            "#[graphql(name = \"newPassword\", secret)]\n    pub new_password:",
        );
        // A recursive input field is boxed; a list needs no box.
        assert_contains(
            input,
            "pub next: ::std::option::Option<::std::boxed::Box<Filter>>,",
        );
        assert_contains(
            input,
            "pub all: ::std::option::Option<::std::vec::Vec<Filter>>,",
        );
    }

    #[test]
    fn a_custom_scalar_gets_a_trait_and_a_forwarding_scalar_impl_with_its_description() {
        let code = gen(
            "type Query { now: DateTime! }\n\"\"\"\nA point in time.\n\"\"\"\nscalar DateTime @specifiedBy(url: \"https://www.rfc-editor.org/rfc/rfc3339\")",
        );
        assert_contains(
            &code,
            "pub trait DateTimeScalar: ::std::marker::Sized {\n    \
             /// Reads a value given in a query or in variables; an error makes the request fail.\n    \
             fn parse(value: ::async_graphql::Value) -> ::async_graphql::InputValueResult<Self>;\n    \
             /// Writes the value into a response.\n    \
             fn to_value(&self) -> ::async_graphql::Value;\n}",
        );
        assert_contains(
            &code,
            "#[doc = \"A point in time.\"]\n#[::async_graphql::Scalar(name = \"DateTime\", specified_by_url = \"https://www.rfc-editor.org/rfc/rfc3339\")]\n",
        );
        assert_contains(&code, "impl ::async_graphql::ScalarType for DateTime {");
        assert_contains(&code, "<DateTime as DateTimeScalar>::parse(value)");
        assert_contains(&code, "<DateTime as DateTimeScalar>::to_value(self)");
    }

    #[test]
    fn the_schema_alias_uses_the_root_types_and_sdl_holds_the_source_text() {
        let code = gen(USERS);
        assert_contains(&code, "pub type Schema = ::async_graphql::Schema<Query, ::async_graphql::EmptyMutation, ::async_graphql::EmptySubscription>;");
        assert_contains(&code, &format!("pub const SDL: &str = r#\"{USERS}\"#;"));

        let sdl = "schema { query: Root mutation: Change }\ntype Root { a: String }\ntype Change { b(x: String = \"\\\"#\"): String }";
        let code = gen(sdl);
        assert_contains(&code, "pub type Schema = ::async_graphql::Schema<Root, Change, ::async_graphql::EmptySubscription>;");
        assert_contains(&code, &format!("pub const SDL: &str = r##\"{sdl}\"##;"));
        let code = gen("type Query { a: String }\ntype Mutation { b: String }");
        assert_contains(
            &code,
            "::async_graphql::Schema<Query, Mutation, ::async_graphql::EmptySubscription>",
        );
    }

    #[test]
    fn the_generated_file_says_it_is_generated_and_follows_the_sdl_order() {
        let code = gen(USERS);
        assert!(
            code.starts_with("// @generated from schema.graphql by build.rs"),
            "{code}"
        );
        assert_contains(&code, "Do not edit");
        let query = code.find("pub trait QueryResolver").unwrap();
        let user = code.find("pub trait UserResolver").unwrap();
        assert!(query < user);
        assert_eq!(code, gen(USERS));
    }

    #[test]
    fn the_kitchen_sink_fixture_generates() {
        let code = gen(include_str!("codegen_fixtures/kitchen_sink.graphql"));
        assert_contains(&code, "pub type Schema = ::async_graphql::Schema<Root, ::async_graphql::EmptyMutation, ::async_graphql::EmptySubscription>;");
        assert_contains(
            &code,
            "pub next: ::std::option::Option<::std::boxed::Box<Filter>>,",
        );
        assert_contains(&code, "    #[graphql(name = \"self\")]\n    Self_,\n");
    }
}
