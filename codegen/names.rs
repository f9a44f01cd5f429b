//! GraphQL names as Rust identifiers and literals, and small helpers on
//! GraphQL types that the checker and the emitter share.

use std::fmt::Write as _;

use graphql_parser::schema::Type;

use super::{SField, SType};

/// Rust keywords (strict, reserved and 2024's `gen`): written as raw identifiers.
const RUST_KEYWORDS: [&str; 52] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers: a trailing `_` is added instead.
pub const NON_RAW_KEYWORDS: [&str; 4] = ["crate", "self", "Self", "super"];

/// `camelCase`, `PascalCase` or `SCREAMING_CASE` to `snake_case`, keeping
/// leading underscores and acronyms together (`ObtainJSONWebToken` becomes
/// `obtain_json_web_token`, `sha256Hash` becomes `sha256_hash`).
pub fn snake_case(name: &str) -> String {
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
pub fn camel_case(name: &str) -> String {
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
pub fn rust_ident(name: &str) -> String {
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

/// The Rust name of a field: a trait method, a struct field, or a field of
/// an arguments struct.
pub fn field_ident(name: &str) -> String {
    rust_ident(&snake_case(name))
}

/// The Rust name of an argument as a parameter of a generated method;
/// `ctx` is taken by the context parameter.
pub fn arg_ident(name: &str) -> String {
    let snake = snake_case(name);
    if snake == "ctx" {
        "ctx_".to_string()
    } else {
        rust_ident(&snake)
    }
}

/// The Rust name of an enum value.
pub fn variant_ident(name: &str) -> String {
    rust_ident(&camel_case(name))
}

/// The struct that holds the arguments of `object.field` by name
/// (`Mutation.tokenAuth` gives `MutationTokenAuthArgs`, as GraphQL Code
/// Generator names them in TypeScript).
pub fn args_struct_ident(object: &str, field: &str) -> String {
    format!("{object}{}Args", camel_case(field))
}

/// A Rust string literal with the exact text of `s`.
pub fn lit(s: &str) -> String {
    format!("{s:?}")
}

/// A raw string literal for long text (no escapes to read), or a normal one
/// where a raw string cannot hold the text.
pub fn long_lit(s: &str) -> String {
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
pub fn base_name(ty: &SType) -> &str {
    match ty {
        Type::NamedType(name) => name,
        Type::ListType(inner) | Type::NonNullType(inner) => base_name(inner),
    }
}

/// The named type under a non-null wrapper, if the type is not a list.
pub fn direct_name(ty: &SType) -> Option<&str> {
    match ty {
        Type::NamedType(name) => Some(name),
        Type::NonNullType(inner) => direct_name(inner),
        Type::ListType(_) => None,
    }
}

/// A description with text in it, if there is one.
pub fn non_empty(description: &Option<String>) -> Option<&str> {
    description.as_deref().filter(|d| !d.trim().is_empty())
}

/// Arguments and input fields whose name says they hold a credential are
/// marked `secret`: async-graphql then masks their values when an extension
/// (logger, tracing) prints the query.
pub fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["password", "token", "secret"]
        .iter()
        .any(|word| name.contains(word))
}

/// `name(arg: Type = default, ...): Type`, for documentation.
pub fn field_signature(f: &SField) -> String {
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
