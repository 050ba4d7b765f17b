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

/// docs/api.md says what a client should do for each error code; a new code needs a line there.
#[test]
fn every_error_code_is_documented() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md")).unwrap();
    for code in api::error::ErrorCode::ALL {
        let row = format!("| `{}` |", code.as_str());
        assert!(
            docs.contains(&row),
            "docs/api.md has no row `{row}` in its error-code table"
        );
    }
}
