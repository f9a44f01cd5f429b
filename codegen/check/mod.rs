//! Checking the parsed SDL: every construct is one the generator supports,
//! every name is unique in GraphQL and in Rust, every type exists and is
//! reachable from the root types. [`Checked`] is the schema that passed,
//! which the emitter turns into Rust.
//!
//! `definitions.rs` checks the type definitions and the root types,
//! `fields.rs` what is inside them (fields, arguments, enum values,
//! directives), `graph.rs` how types refer to each other.

mod definitions;
mod fields;
mod graph;

use std::collections::HashMap;

use graphql_parser::schema::{Definition, SchemaDefinition};
use graphql_parser::Pos;

use super::error::{excerpt, CodegenError};
use super::read::scan_tokens;
use super::{Doc, SEnum, SInput, SObject, SScalar};

/// GraphQL's own scalars, never defined in the SDL.
pub const BUILTIN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BuiltinScalar,
    Scalar,
    Enum,
    Input,
    Object,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::BuiltinScalar => "built-in scalar",
            Kind::Scalar => "scalar",
            Kind::Enum => "enum",
            Kind::Input => "input object",
            Kind::Object => "object type",
        }
    }
}

/// A type definition of the SDL, of one of the kinds the generator supports.
#[derive(Clone, Copy)]
pub enum Def<'d> {
    Scalar(&'d SScalar),
    Enum(&'d SEnum),
    Input(&'d SInput),
    Object(&'d SObject),
}

impl<'d> Def<'d> {
    pub fn name(self) -> &'d str {
        match self {
            Def::Scalar(s) => &s.name,
            Def::Enum(e) => &e.name,
            Def::Input(i) => &i.name,
            Def::Object(o) => &o.name,
        }
    }

    pub fn position(self) -> Pos {
        match self {
            Def::Scalar(s) => s.position,
            Def::Enum(e) => e.position,
            Def::Input(i) => i.position,
            Def::Object(o) => o.position,
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Def::Scalar(_) => Kind::Scalar,
            Def::Enum(_) => Kind::Enum,
            Def::Input(_) => Kind::Input,
            Def::Object(_) => Kind::Object,
        }
    }
}

/// A schema that passed every check: what the emitter needs.
pub struct Checked<'d> {
    /// The text of schema.graphql.
    pub src: &'d str,
    /// The text graphql-parser read (see `read::strip_schema_description`).
    text: &'d str,
    /// The type definitions, in the order of the SDL.
    pub defs: Vec<Def<'d>>,
    pub by_name: HashMap<&'d str, Def<'d>>,
    /// The name of the query root type.
    pub query: String,
    /// The name of the mutation root type, if there is one.
    pub mutation: Option<String>,
}

impl<'d> Checked<'d> {
    /// Checks `doc`, parsed from `text`, the cleaned form of `src`.
    pub fn new(src: &'d str, text: &'d str, doc: &'d Doc) -> Result<Self, CodegenError> {
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
                Definition::TypeExtension(e) => return Err(checked.extension_error(e)),
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

    /// An error at `pos` (moved from a description to the name it describes).
    pub fn err(&self, pos: Pos, message: String) -> CodegenError {
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

    /// The kind of the type named `name`, if it exists.
    pub fn kind_of(&self, name: &str) -> Option<Kind> {
        if BUILTIN_SCALARS.contains(&name) {
            Some(Kind::BuiltinScalar)
        } else {
            self.by_name.get(name).map(|d| d.kind())
        }
    }
}
