//! The served schema equals the committed `schema.graphql`.

use gatehouse::config::Config;
use gatehouse::service::Gatehouse;

#[tokio::test]
async fn the_served_schema_matches_schema_graphql() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = Config {
        database_url: format!("sqlite://{}/test.db", dir.path().display()),
        addr: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    let state = Gatehouse::start(config).await.expect("the service starts");
    let sdl = gatehouse::graphql::schema(state).sdl();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is readable");
    let diffs = gatehouse::sdl_diff::diff_sdl(&committed, &sdl).unwrap_or_else(|e| {
        panic!("the schemas cannot be compared: {e}\n--- served SDL ---\n{sdl}")
    });
    assert!(
        diffs.is_empty(),
        "the served schema differs from schema.graphql:\n  {}\n--- served SDL ---\n{sdl}",
        diffs.join("\n  ")
    );
}
