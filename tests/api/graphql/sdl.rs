//! The served schema equals the committed `schema.graphql`, and
//! `GET /schema.graphql` serves that file as it is.
//!
//! Both texts are parsed with graphql-parser and printed in a canonical
//! form, and the prints must be equal: order, formatting and comments do not
//! count, any other change (a renamed field or argument, a nullability, a
//! default, a description, a deprecation) is a differing line. The canonical
//! form leaves out what `Schema::sdl()` adds or spells its own way: the
//! built-in scalars and directives, the schema description (async-graphql
//! 7 has none to print), `@specifiedBy` (printed only with an option), the
//! default reason of `@deprecated`, and `1` against `1.0` in defaults.

use graphql_parser::query::Number;
use graphql_parser::schema::{Definition, Directive, SchemaDefinition, TypeDefinition, Value};

use gatehouse::config::Config;
use gatehouse::service::Gatehouse;

use crate::helpers::*;

/// schema.graphql is read the way the generator reads it.
#[path = "../../../codegen/read.rs"]
mod read;

const BUILTIN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];
const BUILTIN_DIRECTIVES: [&str; 5] = ["include", "skip", "deprecated", "specifiedBy", "oneOf"];

/// `sdl` printed canonically: every list of named things sorted by name.
fn canonical(sdl: &str) -> Result<String, String> {
    let (text, _schema_description) = read::strip_schema_description(sdl);
    let mut doc = graphql_parser::parse_schema::<String>(&text)
        .map_err(|e| e.to_string())?
        .into_static();
    doc.definitions.retain(|d| match d {
        Definition::TypeDefinition(TypeDefinition::Scalar(s)) => {
            !BUILTIN_SCALARS.contains(&s.name.as_str())
        }
        Definition::DirectiveDefinition(d) => !BUILTIN_DIRECTIVES.contains(&d.name.as_str()),
        _ => true,
    });
    let defined = |name: &str| {
        doc.definitions.iter().any(|d| match d {
            Definition::TypeDefinition(TypeDefinition::Object(o)) => o.name == name,
            _ => false,
        })
    };
    if !doc
        .definitions
        .iter()
        .any(|d| matches!(d, Definition::SchemaDefinition(_)))
    {
        // Without `schema { ... }` the root types go by their default names.
        let root = |name: &str| defined(name).then(|| name.to_string());
        let schema = SchemaDefinition {
            query: root("Query"),
            mutation: root("Mutation"),
            subscription: root("Subscription"),
            ..SchemaDefinition::default()
        };
        doc.definitions.push(Definition::SchemaDefinition(schema));
    }
    for definition in &mut doc.definitions {
        match definition {
            Definition::SchemaDefinition(s) => s.position = Default::default(),
            Definition::TypeDefinition(t) => normalize_type(t),
            Definition::DirectiveDefinition(d) => d.arguments.sort_by(|a, b| a.name.cmp(&b.name)),
            Definition::TypeExtension(_) => {}
        }
    }
    doc.definitions.sort_by_key(|d| match d {
        Definition::SchemaDefinition(_) => (0, String::new()),
        Definition::TypeDefinition(t) => (1, type_name(t).to_string()),
        Definition::TypeExtension(_) => (2, String::new()),
        Definition::DirectiveDefinition(d) => (3, d.name.clone()),
    });
    Ok(doc.to_string())
}

fn type_name<'a>(t: &'a TypeDefinition<'static, String>) -> &'a str {
    match t {
        TypeDefinition::Scalar(x) => &x.name,
        TypeDefinition::Object(x) => &x.name,
        TypeDefinition::Interface(x) => &x.name,
        TypeDefinition::Union(x) => &x.name,
        TypeDefinition::Enum(x) => &x.name,
        TypeDefinition::InputObject(x) => &x.name,
    }
}

fn normalize_type(t: &mut TypeDefinition<'static, String>) {
    match t {
        TypeDefinition::Scalar(s) => s.directives.retain(|d| d.name != "specifiedBy"),
        TypeDefinition::Object(o) => {
            o.implements_interfaces.sort();
            o.fields.sort_by(|a, b| a.name.cmp(&b.name));
            for f in &mut o.fields {
                normalize_directives(&mut f.directives);
                f.arguments.sort_by(|a, b| a.name.cmp(&b.name));
                for a in &mut f.arguments {
                    normalize_directives(&mut a.directives);
                    a.default_value.as_mut().map(normalize_value);
                }
            }
        }
        TypeDefinition::Interface(i) => i.fields.sort_by(|a, b| a.name.cmp(&b.name)),
        TypeDefinition::Union(u) => u.types.sort(),
        TypeDefinition::Enum(e) => {
            e.values.sort_by(|a, b| a.name.cmp(&b.name));
            for v in &mut e.values {
                normalize_directives(&mut v.directives);
            }
        }
        TypeDefinition::InputObject(i) => {
            i.fields.sort_by(|a, b| a.name.cmp(&b.name));
            for f in &mut i.fields {
                normalize_directives(&mut f.directives);
                f.default_value.as_mut().map(normalize_value);
            }
        }
    }
}

/// Directives in name order; `@deprecated` with its reason spelled out.
fn normalize_directives(directives: &mut [Directive<'static, String>]) {
    directives.sort_by(|a, b| a.name.cmp(&b.name));
    for d in directives.iter_mut().filter(|d| d.name == "deprecated") {
        if d.arguments.is_empty() {
            let reason = Value::String("No longer supported".to_string());
            d.arguments.push(("reason".to_string(), reason));
        }
    }
}

/// A float default that is a whole number reads as an integer.
fn normalize_value(value: &mut Value<'static, String>) {
    match value {
        Value::Float(x) if x.fract() == 0.0 && (i32::MIN as f64..=i32::MAX as f64).contains(x) => {
            *value = Value::Int(Number::from(*x as i32));
        }
        Value::List(items) => items.iter_mut().for_each(normalize_value),
        Value::Object(fields) => fields.values_mut().for_each(normalize_value),
        _ => {}
    }
}

/// The lines only in `expected` (`-`) or only in `actual` (`+`), in order.
fn line_diff(expected: &str, actual: &str) -> Vec<String> {
    let (a, b): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    // Longest common subsequence, from the end.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            (i, j) = (i + 1, j + 1);
        } else if j == b.len() || (i < a.len() && lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("- {}", a[i]));
            i += 1;
        } else {
            out.push(format!("+ {}", b[j]));
            j += 1;
        }
    }
    out
}

#[tokio::test]
async fn the_served_schema_matches_schema_graphql() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = Config {
        database_url: format!("sqlite://{}/test.db", dir.path().display()),
        addr: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    let state = Gatehouse::start(config).await.expect("the service starts");
    let served = gatehouse::graphql::schema(state).sdl();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is readable");
    let expected = canonical(&committed).expect("schema.graphql parses");
    let actual = canonical(&served)
        .unwrap_or_else(|e| panic!("the served SDL does not parse: {e}\n{served}"));
    let diff = line_diff(&expected, &actual);
    assert!(
        diff.is_empty(),
        "the served schema differs from schema.graphql (- schema.graphql, + served):\n{}\n\
         --- served SDL ---\n{served}",
        diff.join("\n")
    );
}

#[test]
fn canonical_prints_ignore_order_formatting_and_what_sdl_adds() {
    let written = "\"\"\"\nThe API.\n\"\"\"\nschema { query: Query }\n\
                   \"Q.\"\ntype Query {\n  \"B.\" b(y: Int = 1, x: E): String @deprecated\n  a: ID!\n}\n\
                   enum E { TWO ONE }\nscalar Url @specifiedBy(url: \"https://url.spec.whatwg.org/\")\n";
    let printed = "enum E {\n\tONE\n\tTWO\n}\n\nscalar Url\n\n\"\"\"\nQ.\n\"\"\"\ntype Query {\n\ta: ID!\n\
                   \t\"\"\"\n\tB.\n\t\"\"\"\n\tb(x: E, y: Int = 1.0): String @deprecated(reason: \"No longer supported\")\n}\n\n\
                   scalar String\ndirective @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n\
                   schema {\n\tquery: Query\n}\n";
    assert_eq!(canonical(written).unwrap(), canonical(printed).unwrap());
}

#[test]
fn canonical_prints_show_a_renamed_argument_a_nullability_and_a_description() {
    let base =
        "type Query { users(offset: Int, limit: Int): [User!] }\n\"A user.\" type User { id: ID! }";
    let diff = |edited: &str| line_diff(&canonical(base).unwrap(), &canonical(edited).unwrap());
    assert_eq!(
        diff(&base.replace("offset:", "skip:")),
        [
            "-   users(limit: Int, offset: Int): [User!]",
            "+   users(limit: Int, skip: Int): [User!]",
        ]
    );
    assert_eq!(
        diff(&base.replace("[User!]", "[User]")),
        [
            "-   users(limit: Int, offset: Int): [User!]",
            "+   users(limit: Int, offset: Int): [User]",
        ]
    );
    assert_eq!(
        diff(&base.replace("A user.", "A person.")),
        ["- \"A user.\"", "+ \"A person.\""]
    );
    // GraphQL passes arguments by name: their order is not part of the contract.
    let reordered = base.replace("(offset: Int, limit: Int)", "(limit: Int, offset: Int)");
    assert!(diff(&reordered).is_empty());
}

#[tokio::test]
async fn get_schema_graphql_serves_the_committed_schema_exactly() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/schema.graphql"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let served = resp.text().await.unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        served == committed,
        "GET /schema.graphql differs from schema.graphql"
    );
}
