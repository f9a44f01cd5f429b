//! The type definitions and the root types: supported kinds, names that are
//! free in GraphQL and in the generated Rust.

use std::collections::HashMap;

use graphql_parser::schema::{SchemaDefinition, TypeDefinition, TypeExtension};
use graphql_parser::Pos;

use super::{Checked, Def, Kind, BUILTIN_SCALARS};
use crate::codegen::error::CodegenError;
use crate::codegen::names::{args_struct_ident, NON_RAW_KEYWORDS};

/// Names the generated code defines itself, besides `<Object>Resolver`,
/// `<Object><Field>Args` and `<Scalar>Scalar`.
const GENERATED_NAMES: [&str; 2] = ["Schema", "SDL"];

impl<'d> Checked<'d> {
    pub(super) fn add_type(
        &mut self,
        t: &'d TypeDefinition<'static, String>,
    ) -> Result<(), CodegenError> {
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

    /// The traits `<Object>Resolver` and `<Scalar>Scalar` and the structs
    /// `<Object><Field>Args` live in the same module as the types: none may
    /// have the name of a type, nor of another one of them.
    pub(super) fn check_generated_names(&self) -> Result<(), CodegenError> {
        let mut taken: HashMap<String, String> = HashMap::new();
        for def in &self.defs {
            let mut generated: Vec<(String, String, Pos)> = Vec::new();
            match def {
                Def::Object(o) => {
                    generated.push((
                        format!("{}Resolver", o.name),
                        format!("the generated trait for `{}`", o.name),
                        o.position,
                    ));
                    for f in o.fields.iter().filter(|f| !f.arguments.is_empty()) {
                        generated.push((
                            args_struct_ident(&o.name, &f.name),
                            format!("the generated arguments of `{}.{}`", o.name, f.name),
                            f.position,
                        ));
                    }
                }
                Def::Scalar(s) => generated.push((
                    format!("{}Scalar", s.name),
                    format!("the generated trait for `{}`", s.name),
                    s.position,
                )),
                _ => {}
            }
            for (name, what, pos) in generated {
                if let Some(other) = self.by_name.get(name.as_str()) {
                    return Err(self.err(
                        other.position(),
                        format!(
                            "{} `{name}`: the name is taken by {what}; rename the type",
                            other.kind().describe(),
                        ),
                    ));
                }
                if let Some(first) = taken.insert(name.clone(), what.clone()) {
                    return Err(self.err(
                        pos,
                        format!("{what} and {first} would both be named `{name}`; rename one"),
                    ));
                }
            }
        }
        Ok(())
    }

    pub(super) fn check_name(&self, name: &str, pos: Pos, what: &str) -> Result<(), CodegenError> {
        if name.starts_with("__") {
            return Err(self.err(
                pos,
                format!("{what}: names starting with `__` are reserved for introspection"),
            ));
        }
        Ok(())
    }

    /// Finds the query and mutation root types: named by `schema { ... }`,
    /// or `Query` and `Mutation` without one.
    pub(super) fn roots(
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

    /// `extend type X { ... }` and the like, as an error.
    pub(super) fn extension_error(&self, e: &TypeExtension<'static, String>) -> CodegenError {
        let (kind, name, position) = match e {
            TypeExtension::Scalar(x) => ("scalar", &x.name, x.position),
            TypeExtension::Object(x) => ("type", &x.name, x.position),
            TypeExtension::Interface(x) => ("interface", &x.name, x.position),
            TypeExtension::Union(x) => ("union", &x.name, x.position),
            TypeExtension::Enum(x) => ("enum", &x.name, x.position),
            TypeExtension::InputObject(x) => ("input", &x.name, x.position),
        };
        self.err(
            position,
            format!(
                "`extend {kind} {name}`: type extensions are not supported; \
                 move the additions into the definition of `{name}`"
            ),
        )
    }
}
