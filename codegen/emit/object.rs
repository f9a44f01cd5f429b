//! Object types: per field with arguments a struct holding them by name,
//! one resolver trait per type, and the `#[Object]` impl that forwards every
//! field to that trait.

use std::fmt::Write as _;

use super::{doc_comment, ALLOW_LINTS};
use crate::codegen::check::Checked;
use crate::codegen::error::CodegenError;
use crate::codegen::names::{
    arg_ident, args_struct_ident, field_ident, field_signature, lit, non_empty, rust_ident,
    snake_case,
};
use crate::codegen::{SField, SObject};

impl Checked<'_> {
    pub(super) fn emit_object(&self, out: &mut String, o: &SObject) -> Result<(), CodegenError> {
        for f in o.fields.iter().filter(|f| !f.arguments.is_empty()) {
            self.emit_args_struct(out, o, f);
        }
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
            if n > 0 {
                out.push('\n');
                forwards.push('\n');
            }
            self.emit_trait_method(out, o, f)?;
            self.emit_forward(&mut forwards, o, f)?;
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

    /// `pub struct <Object><Field>Args { ... }`: the arguments of one field,
    /// in the order of the SDL, each under its own name.
    fn emit_args_struct(&self, out: &mut String, o: &SObject, f: &SField) {
        let args = args_struct_ident(&o.name, &f.name);
        let fields: Vec<String> = f.arguments.iter().map(|a| arg_ident(&a.name)).collect();
        doc_comment(
            out,
            "",
            &format!(
                "The arguments of `{}.{}`, by name. The resolver destructures them\n\
                 without `..`, so that an argument renamed, added or removed in\n\
                 schema.graphql is a compile error (and a reordered one still reaches\n\
                 the parameter of its name):\n\
                 `{args} {{ {} }}`.",
                o.name,
                f.name,
                fields.join(", ")
            ),
        );
        let _ = write!(out, "{ALLOW_LINTS}\npub struct {args} {{\n");
        for (a, field) in f.arguments.iter().zip(&fields) {
            let mut doc = match &a.default_value {
                Some(d) => format!("`{}: {} = {d}`", a.name, a.value_type),
                None => format!("`{}: {}`", a.name, a.value_type),
            };
            if let Some(d) = non_empty(&a.description) {
                let _ = write!(doc, "\n\n{d}");
            }
            doc_comment(out, "    ", &doc);
            let _ = writeln!(
                out,
                "    pub {field}: {},",
                self.rust_type(&a.value_type, false)
            );
        }
        out.push_str("}\n\n");
    }

    /// The resolver trait's method for field `f`.
    fn emit_trait_method(
        &self,
        out: &mut String,
        o: &SObject,
        f: &SField,
    ) -> Result<(), CodegenError> {
        let what = format!("field `{}.{}`", o.name, f.name);
        let mut doc = format!("`{}.{}`", o.name, field_signature(f));
        if let Some(d) = non_empty(&f.description) {
            let _ = write!(doc, "\n\n{d}");
        }
        if let Some(reason) = self.deprecation(&f.directives, &what)? {
            let _ = write!(doc, "\n\nDeprecated: {reason}");
        }
        doc_comment(out, "    ", &doc);
        let _ = write!(
            out,
            "    fn {}(\n        &self,\n        ctx: &::async_graphql::Context<'_>,\n",
            field_ident(&f.name)
        );
        if !f.arguments.is_empty() {
            let _ = writeln!(
                out,
                "        args: {},",
                args_struct_ident(&o.name, &f.name)
            );
        }
        let _ = writeln!(
            out,
            "    ) -> impl ::std::future::Future<Output = ::async_graphql::Result<{}>> \
             + ::std::marker::Send;",
            self.rust_type(&f.field_type, false)
        );
        Ok(())
    }

    /// The `#[Object]` impl's method for field `f`: async-graphql reads the
    /// arguments (explicit names, descriptions, defaults) into parameters
    /// named after them, which go into the arguments struct by name.
    fn emit_forward(&self, out: &mut String, o: &SObject, f: &SField) -> Result<(), CodegenError> {
        let what = format!("field `{}.{}`", o.name, f.name);
        Self::emit_doc(out, "    ", &f.description);
        let deprecation = match self.deprecation(&f.directives, &what)? {
            Some(reason) => format!(", deprecation = {}", lit(&reason)),
            None => String::new(),
        };
        let _ = write!(
            out,
            "    #[graphql(name = {}{deprecation})]\n\
             \x20   async fn __gql_{}(\n\
             \x20       &self,\n\
             \x20       ctx: &::async_graphql::Context<'_>,\n",
            lit(&f.name),
            snake_case(&f.name),
        );
        let mut fields = Vec::new();
        for a in &f.arguments {
            let arg_what = format!("argument `{}.{}({}:)`", o.name, f.name, a.name);
            let attrs = self.input_value_attrs(a, &arg_what, true)?;
            let arg = arg_ident(&a.name);
            let arg_ty = self.rust_type(&a.value_type, false);
            let _ = writeln!(out, "        #[graphql({attrs})] {arg}: {arg_ty},");
            fields.push(arg);
        }
        let args = if fields.is_empty() {
            String::new()
        } else {
            format!(
                ", {} {{ {} }}",
                args_struct_ident(&o.name, &f.name),
                fields.join(", ")
            )
        };
        let _ = write!(
            out,
            "    ) -> ::async_graphql::Result<{ret}> {{\n\
             \x20       <{ty} as {name}Resolver>::{method}(self, ctx{args}).await\n\
             \x20   }}\n",
            ret = self.rust_type(&f.field_type, false),
            ty = rust_ident(&o.name),
            name = o.name,
            method = field_ident(&f.name),
        );
        Ok(())
    }
}
