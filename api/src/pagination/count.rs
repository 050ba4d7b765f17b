//! A connection's `totalCount`: counted only when a client selects it.

use async_graphql::{Context, Object};
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{
    filter::Filter,
    loader::{CountKey, CountLoader},
    relation::{ChildRelation, RootRelation},
    sql,
};
use crate::{batching::load_one, error::AppError};

/// Counts the list `key` names (the whole list within its filters).
type Count = for<'a> fn(&'a Context<'_>, &'a CountKey) -> BoxFuture<'a, Result<i64, AppError>>;

/// Extra connection field: how many items the whole list holds.
pub struct TotalCount {
    key: CountKey,
    count: Count,
}

impl TotalCount {
    /// The count of `parent_id`'s list of `R` within `filters`, batched with the request's
    /// other counts of `R`.
    pub(super) fn of_children<R: ChildRelation>(parent_id: i32, filters: Vec<Filter>) -> Self {
        Self {
            key: CountKey { parent_id, filters },
            count: count_children::<R>,
        }
    }

    /// The count of the list `R` within `filters`.
    pub(super) fn of_root<R: RootRelation>(filters: Vec<Filter>) -> Self {
        Self {
            key: CountKey {
                parent_id: 0,
                filters,
            },
            count: count_root::<R>,
        }
    }
}

fn count_children<'a, R: ChildRelation>(
    ctx: &'a Context<'_>,
    key: &'a CountKey,
) -> BoxFuture<'a, Result<i64, AppError>> {
    Box::pin(async move {
        Ok(load_one::<CountLoader<R>>(ctx, key.clone())
            .await?
            .unwrap_or(0))
    })
}

/// A root field is resolved once per request: nothing to batch.
fn count_root<'a, R: RootRelation>(
    ctx: &'a Context<'_>,
    key: &'a CountKey,
) -> BoxFuture<'a, Result<i64, AppError>> {
    Box::pin(async move {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let row = db.query_one_raw(sql::root_count::<R>(&key.filters)).await?;
        Ok(row
            .map(|r| r.try_get("", "total"))
            .transpose()?
            .unwrap_or(0))
    })
}

#[Object]
impl TotalCount {
    /// Number of items in the whole list, across all pages. Costs a count: select it only
    /// when it is shown.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64, AppError> {
        (self.count)(ctx, &self.key).await
    }
}
