//! How the types refer to each other: input objects that could never be
//! written, types the served schema would leave out, and input fields that
//! need a `Box` in Rust.

use std::collections::{HashSet, VecDeque};

use graphql_parser::schema::Type;

use super::{Checked, Def};
use crate::codegen::error::CodegenError;
use crate::codegen::names::{base_name, direct_name};
use crate::codegen::SType;

impl Checked<'_> {
    /// Input objects that contain themselves through non-null, non-list
    /// fields could never be given a value.
    pub(super) fn check_input_cycles(&self) -> Result<(), CodegenError> {
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
    pub(super) fn check_reachable(&self) -> Result<(), CodegenError> {
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

    /// Whether the input field `owner.field` must be boxed: its type is an
    /// input object (not in a list) from which `owner` can be reached again.
    pub fn needs_box(&self, owner: &str, ty: &SType) -> bool {
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
}
