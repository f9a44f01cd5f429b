//! What is inside the definitions: fields, arguments, input fields, enum
//! values, and the few directives the generator supports.

use std::collections::HashMap;

use graphql_parser::schema::Value;
use graphql_parser::Pos;

use super::{Checked, Kind};
use crate::codegen::error::CodegenError;
use crate::codegen::names::{arg_ident, base_name, field_ident, variant_ident};
use crate::codegen::{SDirective, SEnum, SInput, SInputValue, SObject, SScalar};

/// The reason the GraphQL spec gives to `@deprecated` without one.
const DEFAULT_DEPRECATION_REASON: &str = "No longer supported";

impl Checked<'_> {
    /// The `@specifiedBy(url:)` of a scalar; any other directive is an error.
    pub fn scalar_specified_by(&self, s: &SScalar) -> Result<Option<String>, CodegenError> {
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
    pub fn deprecation(
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

    pub(super) fn check_enum(&self, e: &SEnum) -> Result<(), CodegenError> {
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

    pub(super) fn check_input(&self, i: &SInput) -> Result<(), CodegenError> {
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

    pub(super) fn check_object(&self, o: &SObject) -> Result<(), CodegenError> {
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
}
