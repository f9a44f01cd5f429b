//! Order-insensitive comparison of two GraphQL SDL texts, for the test that
//! holds the served schema (`Schema::sdl()`) equal to `schema.graphql`.
//!
//! Both texts are parsed with graphql-parser and compared definition by
//! definition, so order, formatting, comments and the indentation of block
//! strings do not matter. Compared: which types exist and their kinds; root
//! operation types; per type its description, fields (type with nullability
//! and list wrapping, description, deprecation, arguments with their types,
//! defaults, descriptions and deprecations), input fields, enum values,
//! union members, implemented interfaces and applied directives; directive
//! definitions.
//!
//! Ignored, because `Schema::sdl()` adds or drops them on its own:
//! definitions of the built-in scalars (`String`, `Int`, `Float`, `Boolean`,
//! `ID`) and of the built-in directives (`@include`, `@skip`, `@deprecated`,
//! `@specifiedBy`, `@oneOf`); applied `@specifiedBy` (printed by `sdl()` only
//! with an option); the schema description unless both sides have one
//! (async-graphql 7 has none to print). `@deprecated` without a reason equals
//! `@deprecated(reason: "No longer supported")`, as the spec says, and
//! numeric defaults compare by value (`100` equals `100.0`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use graphql_parser::schema::{
    parse_schema, Definition, Directive, EnumValue, Field, InputValue, TypeDefinition, Value,
};

const BUILTIN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];
const BUILTIN_DIRECTIVES: [&str; 5] = ["include", "skip", "deprecated", "specifiedBy", "oneOf"];
const DEFAULT_DEPRECATION_REASON: &str = "No longer supported";

type SValue = Value<'static, String>;

/// Compares two SDL texts and returns their differences in words, one entry
/// per difference (empty when they describe the same schema). `Err` if
/// either text does not parse.
pub fn diff_sdl(expected: &str, actual: &str) -> Result<Vec<String>, String> {
    let expected = Model::parse(expected).map_err(|e| format!("expected SDL: {e}"))?;
    let actual = Model::parse(actual).map_err(|e| format!("actual SDL: {e}"))?;
    let mut out = Vec::new();
    compare_models(&expected, &actual, &mut out);
    Ok(out)
}

// ---------------------------------------------------------------------------
// A normalized view of a schema

struct Model {
    description: Option<String>,
    roots: [(&'static str, Option<String>); 3],
    types: Vec<TypeModel>,
    directives: Vec<DirectiveModel>,
}

struct TypeModel {
    name: String,
    kind: &'static str,
    description: Option<String>,
    directives: BTreeSet<String>,
    interfaces: BTreeSet<String>,
    members: BTreeSet<String>,
    /// Fields, input fields or enum values.
    items: Vec<Item>,
}

struct Item {
    name: String,
    ty: Option<String>,
    default: Option<SValue>,
    description: Option<String>,
    deprecation: Option<String>,
    directives: BTreeSet<String>,
    args: Vec<Item>,
}

struct DirectiveModel {
    name: String,
    description: Option<String>,
    args: Vec<Item>,
    repeatable: bool,
    locations: BTreeSet<String>,
}

impl Model {
    fn parse(sdl: &str) -> Result<Model, String> {
        let (cleaned, description) = crate::codegen::strip_schema_description(sdl);
        let doc = parse_schema::<String>(&cleaned)
            .map_err(|e| e.to_string().replace('\n', " "))?
            .into_static();
        let mut model = Model {
            description: normalize_description(description.as_deref()),
            roots: [("query", None), ("mutation", None), ("subscription", None)],
            types: Vec::new(),
            directives: Vec::new(),
        };
        let mut schema_seen = false;
        for definition in &doc.definitions {
            match definition {
                Definition::SchemaDefinition(s) => {
                    schema_seen = true;
                    model.roots = [
                        ("query", s.query.clone()),
                        ("mutation", s.mutation.clone()),
                        ("subscription", s.subscription.clone()),
                    ];
                }
                Definition::TypeDefinition(t) => {
                    if let Some(t) = type_model(t) {
                        model.types.push(t);
                    }
                }
                Definition::TypeExtension(_) => {
                    return Err("type extensions (`extend ...`) are not supported".to_string());
                }
                Definition::DirectiveDefinition(d) => {
                    if !BUILTIN_DIRECTIVES.contains(&d.name.as_str()) {
                        model.directives.push(DirectiveModel {
                            name: d.name.clone(),
                            description: normalize_description(d.description.as_deref()),
                            args: d.arguments.iter().map(input_item).collect(),
                            repeatable: d.repeatable,
                            locations: d.locations.iter().map(|l| l.as_str().to_string()).collect(),
                        });
                    }
                }
            }
        }
        if !schema_seen {
            // Without `schema { ... }` the root types go by their default names.
            for (role, name) in &mut model.roots {
                let default = match *role {
                    "query" => "Query",
                    "mutation" => "Mutation",
                    _ => "Subscription",
                };
                if model.types.iter().any(|t| t.name == default) {
                    *name = Some(default.to_string());
                }
            }
        }
        Ok(model)
    }

    fn get_type(&self, name: &str) -> Option<&TypeModel> {
        self.types.iter().find(|t| t.name == name)
    }
}

fn type_model(t: &TypeDefinition<'static, String>) -> Option<TypeModel> {
    let empty = |name: &String,
                 kind,
                 description: &Option<String>,
                 directives: &[Directive<'static, String>]| TypeModel {
        name: name.clone(),
        kind,
        description: normalize_description(description.as_deref()),
        directives: other_directives(directives),
        interfaces: BTreeSet::new(),
        members: BTreeSet::new(),
        items: Vec::new(),
    };
    Some(match t {
        TypeDefinition::Scalar(s) => {
            if BUILTIN_SCALARS.contains(&s.name.as_str()) {
                return None;
            }
            empty(&s.name, "scalar", &s.description, &s.directives)
        }
        TypeDefinition::Object(o) => TypeModel {
            interfaces: o.implements_interfaces.iter().cloned().collect(),
            items: o.fields.iter().map(field_item).collect(),
            ..empty(&o.name, "object type", &o.description, &o.directives)
        },
        TypeDefinition::Interface(i) => TypeModel {
            interfaces: i.implements_interfaces.iter().cloned().collect(),
            items: i.fields.iter().map(field_item).collect(),
            ..empty(&i.name, "interface", &i.description, &i.directives)
        },
        TypeDefinition::Union(u) => TypeModel {
            members: u.types.iter().cloned().collect(),
            ..empty(&u.name, "union", &u.description, &u.directives)
        },
        TypeDefinition::Enum(e) => TypeModel {
            items: e.values.iter().map(enum_item).collect(),
            ..empty(&e.name, "enum", &e.description, &e.directives)
        },
        TypeDefinition::InputObject(i) => TypeModel {
            items: i.fields.iter().map(input_item).collect(),
            ..empty(&i.name, "input object", &i.description, &i.directives)
        },
    })
}

fn field_item(f: &Field<'static, String>) -> Item {
    Item {
        name: f.name.clone(),
        ty: Some(f.field_type.to_string()),
        default: None,
        description: normalize_description(f.description.as_deref()),
        deprecation: deprecation(&f.directives),
        directives: other_directives(&f.directives),
        args: f.arguments.iter().map(input_item).collect(),
    }
}

fn input_item(v: &InputValue<'static, String>) -> Item {
    Item {
        name: v.name.clone(),
        ty: Some(v.value_type.to_string()),
        default: v.default_value.clone(),
        description: normalize_description(v.description.as_deref()),
        deprecation: deprecation(&v.directives),
        directives: other_directives(&v.directives),
        args: Vec::new(),
    }
}

fn enum_item(v: &EnumValue<'static, String>) -> Item {
    Item {
        name: v.name.clone(),
        ty: None,
        default: None,
        description: normalize_description(v.description.as_deref()),
        deprecation: deprecation(&v.directives),
        directives: other_directives(&v.directives),
        args: Vec::new(),
    }
}

/// The deprecation reason (the spec's default when none is given).
fn deprecation(directives: &[Directive<'static, String>]) -> Option<String> {
    let d = directives.iter().find(|d| d.name == "deprecated")?;
    let reason = d.arguments.iter().find_map(|(name, value)| match value {
        Value::String(reason) if name == "reason" => Some(reason.clone()),
        _ => None,
    });
    Some(reason.unwrap_or_else(|| DEFAULT_DEPRECATION_REASON.to_string()))
}

/// Applied directives other than `@deprecated` (compared on its own) and
/// `@specifiedBy` (left out of `Schema::sdl()` by default), written with
/// their arguments in name order.
fn other_directives(directives: &[Directive<'static, String>]) -> BTreeSet<String> {
    directives
        .iter()
        .filter(|d| d.name != "deprecated" && d.name != "specifiedBy")
        .map(|d| {
            let args: BTreeMap<&str, String> = d
                .arguments
                .iter()
                .map(|(name, value)| (name.as_str(), value.to_string()))
                .collect();
            if args.is_empty() {
                format!("@{}", d.name)
            } else {
                let args: Vec<String> = args.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("@{}({})", d.name, args.join(", "))
            }
        })
        .collect()
}

/// Descriptions compare by words and line structure: every line trimmed,
/// runs of spaces collapsed, blank lines at the ends dropped and inner runs
/// of blank lines made one. An empty description is no description.
fn normalize_description(description: Option<&str>) -> Option<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in description?.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

// ---------------------------------------------------------------------------
// Comparing

fn compare_models(e: &Model, a: &Model, out: &mut Vec<String>) {
    for ((role, ev), (_, av)) in e.roots.iter().zip(&a.roots) {
        if ev != av {
            out.push(format!(
                "schema: the {role} root type differs: expected {}, actual {}",
                show_name(ev.as_deref()),
                show_name(av.as_deref())
            ));
        }
    }
    if let (Some(ed), Some(ad)) = (&e.description, &a.description) {
        if ed != ad {
            out.push(format!(
                "schema: description differs: expected {ed:?}, actual {ad:?}"
            ));
        }
    }

    for t in &e.types {
        match a.get_type(&t.name) {
            None => out.push(format!("{} `{}`: only in expected", t.kind, t.name)),
            Some(u) => compare_types(t, u, out),
        }
    }
    for u in &a.types {
        if e.get_type(&u.name).is_none() {
            out.push(format!("{} `{}`: only in actual", u.kind, u.name));
        }
    }

    for d in &e.directives {
        let what = format!("directive `@{}`", d.name);
        let Some(b) = a.directives.iter().find(|b| b.name == d.name) else {
            out.push(format!("{what}: only in expected"));
            continue;
        };
        compare_descriptions(&what, &d.description, &b.description, out);
        if d.repeatable != b.repeatable {
            out.push(format!(
                "{what}: repeatable differs: expected {}, actual {}",
                d.repeatable, b.repeatable
            ));
        }
        if d.locations != b.locations {
            out.push(format!(
                "{what}: locations differ: expected {}, actual {}",
                join(&d.locations, " | "),
                join(&b.locations, " | ")
            ));
        }
        compare_items(&d.args, &b.args, out, &|arg| {
            (format!("argument `@{}({arg}:)`", d.name), String::new())
        });
    }
    for b in &a.directives {
        if !e.directives.iter().any(|d| d.name == b.name) {
            out.push(format!("directive `@{}`: only in actual", b.name));
        }
    }
}

fn compare_types(t: &TypeModel, u: &TypeModel, out: &mut Vec<String>) {
    let what = format!("{} `{}`", t.kind, t.name);
    if t.kind != u.kind {
        out.push(format!(
            "type `{}`: kind differs: expected {}, actual {}",
            t.name, t.kind, u.kind
        ));
        return;
    }
    compare_descriptions(&what, &t.description, &u.description, out);
    compare_sets(&what, "directives", &t.directives, &u.directives, out);
    compare_sets(&what, "interfaces", &t.interfaces, &u.interfaces, out);
    compare_sets(&what, "members", &t.members, &u.members, out);
    let item_kind = match t.kind {
        "enum" => "enum value",
        "input object" => "input field",
        _ => "field",
    };
    compare_items(&t.items, &u.items, out, &|item| {
        let path = format!("{}.{item}", t.name);
        (format!("{item_kind} `{path}`"), path)
    });
}

fn compare_items(
    expected: &[Item],
    actual: &[Item],
    out: &mut Vec<String>,
    describe: &dyn Fn(&str) -> (String, String),
) {
    for e in expected {
        let (what, path) = describe(&e.name);
        match actual.iter().find(|a| a.name == e.name) {
            None => out.push(format!("{what}: only in expected")),
            Some(a) => compare_item(&what, &path, e, a, out),
        }
    }
    for a in actual {
        if !expected.iter().any(|e| e.name == a.name) {
            out.push(format!("{}: only in actual", describe(&a.name).0));
        }
    }
}

/// Compares two fields, arguments, input fields or enum values; `path`
/// (`Type.field`) names the arguments of a field.
fn compare_item(what: &str, path: &str, e: &Item, a: &Item, out: &mut Vec<String>) {
    if e.ty != a.ty {
        out.push(format!(
            "{what}: type differs: expected `{}`, actual `{}`",
            e.ty.as_deref().unwrap_or_default(),
            a.ty.as_deref().unwrap_or_default()
        ));
    }
    let defaults_equal = match (&e.default, &a.default) {
        (None, None) => true,
        (Some(x), Some(y)) => values_equal(x, y),
        _ => false,
    };
    if !defaults_equal {
        out.push(format!(
            "{what}: default value differs: expected {}, actual {}",
            show_default(e.default.as_ref()),
            show_default(a.default.as_ref())
        ));
    }
    compare_descriptions(what, &e.description, &a.description, out);
    if e.deprecation != a.deprecation {
        out.push(format!(
            "{what}: deprecation differs: expected {}, actual {}",
            show_deprecation(e.deprecation.as_deref()),
            show_deprecation(a.deprecation.as_deref())
        ));
    }
    compare_sets(what, "directives", &e.directives, &a.directives, out);
    compare_items(&e.args, &a.args, out, &|arg| {
        (format!("argument `{path}({arg}:)`"), String::new())
    });
}

fn compare_descriptions(
    what: &str,
    expected: &Option<String>,
    actual: &Option<String>,
    out: &mut Vec<String>,
) {
    if expected != actual {
        out.push(format!(
            "{what}: description differs: expected {}, actual {}",
            show_description(expected.as_deref()),
            show_description(actual.as_deref())
        ));
    }
}

fn compare_sets(
    what: &str,
    label: &str,
    expected: &BTreeSet<String>,
    actual: &BTreeSet<String>,
    out: &mut Vec<String>,
) {
    if expected != actual {
        out.push(format!(
            "{what}: {label} differ: expected [{}], actual [{}]",
            join(expected, ", "),
            join(actual, ", ")
        ));
    }
}

fn values_equal(a: &SValue, b: &SValue) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.as_i64() == y.as_i64(),
        (Value::Int(i), Value::Float(f)) | (Value::Float(f), Value::Int(i)) => {
            i.as_i64().is_some_and(|i| int_equals_float(i, *f))
        }
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| values_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Whether the float `f` is the integer `i` (exact for GraphQL's 32-bit Int).
fn int_equals_float(i: i64, f: f64) -> bool {
    i as f64 == f
}

fn show_name(name: Option<&str>) -> String {
    name.map_or_else(|| "none".to_string(), |n| format!("`{n}`"))
}

fn show_default(value: Option<&SValue>) -> String {
    value.map_or_else(|| "none".to_string(), |v| format!("`{v}`"))
}

fn show_description(description: Option<&str>) -> String {
    description.map_or_else(|| "none".to_string(), |d| format!("{d:?}"))
}

fn show_deprecation(reason: Option<&str>) -> String {
    reason.map_or_else(
        || "not deprecated".to_string(),
        |r| format!("deprecated ({r:?})"),
    )
}

fn join(set: &BTreeSet<String>, separator: &str) -> String {
    let mut s = String::new();
    for (i, item) in set.iter().enumerate() {
        if i > 0 {
            s.push_str(separator);
        }
        let _ = write!(s, "{item}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED: &str = r#"
"""
The API.
"""
schema {
  query: Query
  mutation: Mutation
}

"A point in time."
scalar DateTime

"Read-only operations."
type Query {
  "The caller."
  me: User
  "Every user."
  users(
    "How many to skip."
    offset: Int = 0
    limit: Int = 100
    order: Order = NEWEST
  ): [User!]
  currentUser: User @deprecated(reason: "Use `me`.")
  legacy: String @deprecated
}

type Mutation {
  """
  Log in.
    Returns tokens.
  """
  tokenAuth(username: String!, password: String!): String
}

"A user."
type User {
  id: ID!
  dateJoined: DateTime!
}

enum Order {
  "Oldest first."
  OLDEST
  NEWEST
}
"#;

    /// What `Schema::sdl()` prints for `EXPECTED`: sorted, tab-indented,
    /// with block descriptions, built-in directive definitions, explicit
    /// default reasons and `schema {}` last.
    const ACTUAL: &str = "enum Order {\n\t\"\"\"\n\tOldest first.\n\t\"\"\"\n\tOLDEST\n\tNEWEST\n}\n\n\
\"\"\"\nA point in time.\n\"\"\"\nscalar DateTime\n\n\
type Mutation {\n\t\"\"\"\n\tLog in.\n\t  Returns tokens.\n\t\"\"\"\n\ttokenAuth(username: String!, password: String!): String\n}\n\n\
\"\"\"\nRead-only operations.\n\"\"\"\ntype Query {\n\
\tlegacy: String @deprecated(reason: \"No longer supported\")\n\
\tcurrentUser: User @deprecated(reason: \"Use `me`.\")\n\
\t\"\"\"\n\tEvery user.\n\t\"\"\"\n\tusers(\n\t\tlimit: Int = 100.0,\n\t\torder: Order = NEWEST,\n\t\t\"\"\"\n\t\tHow many to skip.\n\t\t\"\"\"\n\t\toffset: Int = 0\n\t): [User!]\n\
\t\"\"\"\n\tThe caller.\n\t\"\"\"\n\tme: User\n}\n\n\
\"\"\"\nA user.\n\"\"\"\ntype User {\n\tdateJoined: DateTime!\n\tid: ID!\n}\n\n\
scalar String\n\
directive @deprecated(reason: String = \"No longer supported\") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE\n\
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n\
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n\
directive @specifiedBy(url: String!) on SCALAR\n\
directive @oneOf on INPUT_OBJECT\n\
schema {\n\tquery: Query\n\tmutation: Mutation\n}\n";

    fn diff(expected: &str, actual: &str) -> Vec<String> {
        diff_sdl(expected, actual).unwrap()
    }

    /// `ACTUAL` with one edit, which must apply.
    fn edited(from: &str, to: &str) -> String {
        assert!(ACTUAL.contains(from), "{from:?} is not in ACTUAL");
        ACTUAL.replacen(from, to, 1)
    }

    #[test]
    fn equal_schemas_in_a_different_order_give_no_differences() {
        assert_eq!(diff(EXPECTED, ACTUAL), Vec::<String>::new());
        assert_eq!(diff(ACTUAL, EXPECTED), Vec::<String>::new());
    }

    #[test]
    fn a_renamed_field_is_reported_on_both_sides() {
        let actual = edited("\tdateJoined: DateTime!", "\tjoined: DateTime!");
        assert_eq!(
            diff(EXPECTED, &actual),
            [
                "field `User.dateJoined`: only in expected",
                "field `User.joined`: only in actual"
            ]
        );
    }

    #[test]
    fn a_nullability_change_is_reported() {
        let actual = edited("\tme: User\n", "\tme: User!\n");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["field `Query.me`: type differs: expected `User`, actual `User!`"]
        );
    }

    #[test]
    fn a_list_wrapping_change_is_reported() {
        let actual = edited("): [User!]\n", "): [User]\n");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["field `Query.users`: type differs: expected `[User!]`, actual `[User]`"]
        );
    }

    #[test]
    fn a_changed_argument_type_is_reported() {
        let actual = edited("password: String!)", "password: String)");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["argument `Mutation.tokenAuth(password:)`: type differs: expected `String!`, actual `String`"]
        );
    }

    #[test]
    fn changed_renamed_and_defaulted_arguments_are_reported() {
        let actual = edited("limit: Int = 100.0", "limit: Int = 50");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["argument `Query.users(limit:)`: default value differs: expected `100`, actual `50`"]
        );
        let actual = edited("order: Order = NEWEST", "order: Order");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["argument `Query.users(order:)`: default value differs: expected `NEWEST`, actual none"]
        );
        let actual = edited("(username: String!,", "(login: String!,");
        assert_eq!(
            diff(EXPECTED, &actual),
            [
                "argument `Mutation.tokenAuth(username:)`: only in expected",
                "argument `Mutation.tokenAuth(login:)`: only in actual"
            ]
        );
    }

    #[test]
    fn a_removed_deprecation_is_reported() {
        let actual = edited(" @deprecated(reason: \"Use `me`.\")", "");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["field `Query.currentUser`: deprecation differs: expected deprecated (\"Use `me`.\"), actual not deprecated"]
        );
        let actual = edited("reason: \"Use `me`.\"", "reason: \"Gone.\"");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["field `Query.currentUser`: deprecation differs: expected deprecated (\"Use `me`.\"), actual deprecated (\"Gone.\")"]
        );
    }

    #[test]
    fn a_changed_description_is_reported_for_types_fields_arguments_and_enum_values() {
        let cases = [
            (
                "Read-only operations.",
                "type `Query`",
                "\"Read-only operations.\"",
            ),
            ("The caller.", "field `Query.me`", "\"The caller.\""),
            (
                "How many to skip.",
                "argument `Query.users(offset:)`",
                "\"How many to skip.\"",
            ),
            (
                "Oldest first.",
                "enum value `Order.OLDEST`",
                "\"Oldest first.\"",
            ),
            (
                "A point in time.",
                "scalar `DateTime`",
                "\"A point in time.\"",
            ),
        ];
        for (text, what, shown) in cases {
            let actual = edited(text, "Something else.");
            let kind = if what.starts_with("type") {
                "object "
            } else {
                ""
            };
            assert_eq!(
                diff(EXPECTED, &actual),
                [format!("{kind}{what}: description differs: expected {shown}, actual \"Something else.\"")]
            );
        }
        let actual = edited("\t\"\"\"\n\tThe caller.\n\t\"\"\"\n", "");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["field `Query.me`: description differs: expected \"The caller.\", actual none"]
        );
        // Indentation and runs of spaces are not.
        let actual = edited("\t  Returns tokens.", "\tReturns    tokens.  ");
        assert_eq!(diff(EXPECTED, &actual), Vec::<String>::new());
        // Line breaks are.
        let actual = edited("Log in.\n\t  Returns tokens.", "Log in. Returns tokens.");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["field `Mutation.tokenAuth`: description differs: expected \"Log in.\\nReturns tokens.\", actual \"Log in. Returns tokens.\""]
        );
    }

    #[test]
    fn types_enum_values_and_root_types_on_one_side_are_reported_with_their_kind() {
        let actual = edited("\tNEWEST\n", "\tNEWEST\n\tRANDOM\n");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["enum value `Order.RANDOM`: only in actual"]
        );
        let actual = format!("{ACTUAL}\ninput Filter {{ q: String }}\n");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["input object `Filter`: only in actual"]
        );
        let actual = edited("scalar DateTime", "scalar Timestamp");
        assert_eq!(
            diff(EXPECTED, &actual),
            [
                "scalar `DateTime`: only in expected",
                "scalar `Timestamp`: only in actual"
            ]
        );
        let actual = edited("scalar DateTime", "enum DateTime { NOW }");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["type `DateTime`: kind differs: expected scalar, actual enum"]
        );
        let actual = edited("\tmutation: Mutation\n", "");
        assert_eq!(
            diff(EXPECTED, &actual),
            ["schema: the mutation root type differs: expected `Mutation`, actual none"]
        );
    }

    #[test]
    fn default_root_names_apply_without_a_schema_definition() {
        let sdl = "type Query { a: String }\ntype Mutation { b: String }";
        let explicit = format!("{sdl}\nschema {{ query: Query mutation: Mutation }}");
        assert_eq!(diff(sdl, &explicit), Vec::<String>::new());
    }

    #[test]
    fn custom_directive_definitions_are_compared_and_built_in_ones_ignored() {
        let with = "directive @auth(role: String) on FIELD_DEFINITION\ntype Query { a: String }";
        let without = "type Query { a: String }\ndirective @skip(if: Boolean!) on FIELD";
        assert_eq!(diff(with, without), ["directive `@auth`: only in expected"]);
        let other =
            "directive @auth(role: Int) on FIELD_DEFINITION | OBJECT\ntype Query { a: String }";
        assert_eq!(
            diff(with, other),
            [
                "directive `@auth`: locations differ: expected FIELD_DEFINITION, actual FIELD_DEFINITION | OBJECT",
                "argument `@auth(role:)`: type differs: expected `String`, actual `Int`"
            ]
        );
    }

    #[test]
    fn a_schema_description_counts_only_when_both_sides_have_one() {
        let with = "\"The API.\"\nschema { query: Query }\ntype Query { a: String }";
        let without = "schema { query: Query }\ntype Query { a: String }";
        assert_eq!(diff(with, without), Vec::<String>::new());
        let other = "\"Another API.\"\nschema { query: Query }\ntype Query { a: String }";
        assert_eq!(
            diff(with, other),
            ["schema: description differs: expected \"The API.\", actual \"Another API.\""]
        );
    }

    #[test]
    fn unparsable_sdl_is_an_error_naming_the_side() {
        let err = diff_sdl("type Query { a: String }", "type Query {").unwrap_err();
        assert!(err.starts_with("actual SDL: "), "{err}");
        let err = diff_sdl("type Query { a: }", "type Query { a: String }").unwrap_err();
        assert!(err.starts_with("expected SDL: "), "{err}");
    }
}
