//! `schema.graphql` is the code's schema, byte for byte.

#[test]
fn committed_schema_graphql_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let current = api::schema::export_sdl();
    assert!(
        committed == current,
        "schema.graphql is out of date with the code; regenerate it with:\n    \
         cargo run -p api -- export-schema > schema.graphql"
    );
}
