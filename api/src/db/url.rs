//! Database URLs and names.

use sea_orm::DbErr;

/// Splits `postgres://.../name` into the maintenance-database URL and `name`.
pub fn split_database_url(url: &str) -> Result<(String, String), DbErr> {
    let mut parsed = url::Url::parse(url)
        .map_err(|err| DbErr::Custom(format!("invalid DATABASE_URL: {err}")))?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    if name.is_empty() {
        return Err(DbErr::Custom("DATABASE_URL names no database".into()));
    }
    parsed.set_path("/postgres");
    Ok((parsed.to_string(), name))
}

/// Quotes an SQL identifier (database names cannot be bound as parameters).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
