//! The Relay arguments of a list (`after`, `before`, `first`, `last`), validated, with the
//! filters the client chose.

use super::{
    cursor::{SortKey, decode_cursor},
    filter::Filter,
};
use crate::error::AppError;

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// Validated Relay arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageArgs {
    pub(super) after: Option<SortKey>,
    pub(super) before: Option<SortKey>,
    take: Take,
    pub(super) filters: Vec<Filter>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Take {
    First(usize),
    Last(usize),
}

impl PageArgs {
    pub fn parse(
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Self, AppError> {
        let size = |field: &str, n: i32| match usize::try_from(n) {
            Ok(n) if n <= MAX_PAGE_SIZE => Ok(n),
            Ok(_) => Err(AppError::bad_input(
                field,
                format!("`{field}` must be at most {MAX_PAGE_SIZE}"),
            )),
            Err(_) => Err(AppError::bad_input(
                field,
                format!("`{field}` must not be negative"),
            )),
        };
        let take = match (first, last) {
            (Some(_), Some(_)) => {
                return Err(AppError::bad_input(
                    "last",
                    "give `first` or `last`, not both",
                ));
            }
            (Some(n), None) => Take::First(size("first", n)?),
            (None, Some(n)) => Take::Last(size("last", n)?),
            (None, None) => Take::First(DEFAULT_PAGE_SIZE),
        };
        Ok(Self {
            after: after
                .as_deref()
                .map(|c| decode_cursor(c).ok_or_else(|| invalid_cursor("after")))
                .transpose()?,
            before: before
                .as_deref()
                .map(|c| decode_cursor(c).ok_or_else(|| invalid_cursor("before")))
                .transpose()?,
            take,
            filters: Vec::new(),
        })
    }

    /// The same page of the list narrowed by `filters`.
    pub fn with_filters(mut self, filters: Vec<Filter>) -> Self {
        self.filters = filters;
        self
    }

    /// How many items the page holds at most, and whether they are counted from the end
    /// (`last`): then rows are fetched in reverse list order.
    pub(super) fn limit(&self) -> (usize, bool) {
        match self.take {
            Take::First(n) => (n, false),
            Take::Last(n) => (n, true),
        }
    }
}

fn invalid_cursor(field: &str) -> AppError {
    AppError::bad_input(field, format!("`{field}` is not a cursor from this list"))
}

/// The complexity of a connection field: its page size (`first` or `last`, 20 when neither is
/// given, at most 100) times the cost of what it selects per item.
pub fn cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .unwrap_or(DEFAULT_PAGE_SIZE as i32)
        .clamp(1, MAX_PAGE_SIZE as i32);
    usize::try_from(size)
        .unwrap_or(1)
        .saturating_mul(child_complexity.max(1))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_that_is_not_ours_is_refused_naming_the_argument() {
        let err = PageArgs::parse(Some("nope".into()), None, None, None).unwrap_err();
        assert!(matches!(err, AppError::BadUserInput { ref field, .. } if field == "after"));
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert!(PageArgs::parse(None, None, Some(100), None).is_ok());
        for (first, last, field) in [
            (Some(101), None, "first"),
            (Some(-1), None, "first"),
            (None, Some(101), "last"),
            (Some(1), Some(1), "last"),
        ] {
            let err = PageArgs::parse(None, None, first, last).unwrap_err();
            assert!(
                matches!(err, AppError::BadUserInput { field: ref f, .. } if f == field),
                "{first:?} {last:?}"
            );
        }
    }
}
