//! GraphQL types and default values as Rust: `[String!]` becomes
//! `Option<Vec<String>>`, `Int = 3` becomes `default_with = "Some(3)"`.
//! Default values are checked here too (the checker calls
//! [`Checked::default_expr`] for every one).

use graphql_parser::schema::{Type, Value};
use graphql_parser::Pos;

use crate::codegen::check::{Checked, Def, Kind};
use crate::codegen::error::CodegenError;
use crate::codegen::names::{lit, rust_ident, variant_ident};
use crate::codegen::{SType, SValue, SOURCE_NAME};

impl Checked<'_> {
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
    pub fn rust_type(&self, ty: &SType, boxed: bool) -> String {
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

    /// The Rust expression for a default value (for `default_with`).
    pub fn default_expr(
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
}
