//! Conditions a client chose for one list (`type`, `from`, `to`, `search`), written by the
//! domains as sea-query expressions on their entities' typed columns; values are bound as
//! parameters.

use std::hash::{Hash, Hasher};

use sea_orm::{
    Condition,
    sea_query::{IntoCondition, PostgresQueryBuilder, Query},
};

use crate::error::AppError;

/// One condition on a list's rows. Two filters are the same (and share a batch) when they
/// read the same as SQL with their values.
#[derive(Debug, Clone)]
pub struct Filter {
    pub(super) condition: Condition,
    /// The condition as SQL with its values written in: what makes two filters the same.
    key: String,
}

impl Filter {
    pub fn new(condition: impl IntoCondition) -> Self {
        let condition = condition.into_condition();
        let key = Query::select()
            .cond_where(condition.clone())
            .to_string(PostgresQueryBuilder);
        Self { condition, key }
    }

    /// A client's search text as a filter: none for no or blank text, BAD_USER_INPUT on
    /// `search` past 100 characters; otherwise `condition` of the pattern "contains the
    /// trimmed text" (for `ILIKE`; `%`, `_` and `\` in the text match themselves).
    pub fn search<C: IntoCondition>(
        text: Option<&str>,
        condition: impl FnOnce(String) -> C,
    ) -> Result<Option<Self>, AppError> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if text.chars().count() > 100 {
            return Err(AppError::bad_input(
                "search",
                "search text may be at most 100 characters",
            ));
        }
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        Ok(Some(Self::new(condition(format!("%{escaped}%")))))
    }
}

impl PartialEq for Filter {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Filter {}

impl Hash for Filter {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use entity::users;
    use sea_orm::ColumnTrait;

    use super::*;

    #[test]
    fn filters_are_the_same_when_their_condition_and_values_are() {
        let active = Filter::new(users::Column::IsActive.eq(true));
        assert_eq!(active, Filter::new(users::Column::IsActive.eq(true)));
        assert_ne!(active, Filter::new(users::Column::IsActive.eq(false)));
        assert_ne!(active, Filter::new(users::Column::IsVerified.eq(true)));
    }

    #[test]
    fn search_text_is_trimmed_escaped_and_bounded() {
        assert!(
            Filter::search(Some("  "), |p| users::Column::Email.ilike(p))
                .unwrap()
                .is_none()
        );
        let found = Filter::search(Some(" 50%_a\\b "), |p| {
            assert_eq!(p, "%50\\%\\_a\\\\b%");
            users::Column::Email.ilike(p)
        });
        assert!(found.unwrap().is_some());
        let long = "x".repeat(101);
        let err = Filter::search(Some(&long), |p| users::Column::Email.ilike(p)).unwrap_err();
        assert!(matches!(err, AppError::BadUserInput { ref field, .. } if field == "search"));
    }
}
