//! Batched loads of pages and counts: all parents of one request that ask for the same page of
//! the same list share one statement.

use std::{collections::HashMap, marker::PhantomData, sync::Arc};

use async_graphql::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use super::{args::PageArgs, filter::Filter, relation::ChildRelation, sql};
use crate::{
    batching::{BatchLoader, load_one},
    error::AppError,
    read_pool::ReadPool,
    rows::read_all,
};

/// One parent's page request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    parent_id: i32,
    args: PageArgs,
}

/// Loads pages of `R` for many parents; one statement per distinct page request.
pub struct PageLoader<R> {
    db: ReadPool,
    now: DateTime<Utc>,
    relation: PhantomData<fn() -> R>,
}

impl<R: ChildRelation> BatchLoader for PageLoader<R> {
    type Key = PageKey;
    type Value = Vec<R::Model>;

    /// `now` is the request's time, used by list conditions.
    fn for_request(db: &ReadPool, now: DateTime<Utc>) -> Self {
        Self {
            db: db.clone(),
            now,
            relation: PhantomData,
        }
    }

    async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Self::Value>, Arc<DbErr>> {
        let mut by_args: HashMap<&PageArgs, Vec<i32>> = HashMap::new();
        for key in keys {
            by_args.entry(&key.args).or_default().push(key.parent_id);
        }
        let mut pages: HashMap<PageKey, Vec<R::Model>> = HashMap::with_capacity(keys.len());
        for (args, parents) in by_args {
            let rows = self
                .db
                .query_all_raw(sql::page::<R>(args, parents, self.now))
                .await?;
            // Rows come ordered by parent: one page per run of equal parents.
            let mut page: Vec<R::Model> = Vec::new();
            for row in read_all::<R::Model>(&rows)? {
                if page
                    .last()
                    .is_some_and(|last| R::parent_id(last) != R::parent_id(&row))
                {
                    finish_page::<R>(&mut pages, args, std::mem::take(&mut page));
                }
                page.push(row);
            }
            finish_page::<R>(&mut pages, args, page);
        }
        Ok(pages)
    }
}

fn finish_page<R: ChildRelation>(
    pages: &mut HashMap<PageKey, Vec<R::Model>>,
    args: &PageArgs,
    page: Vec<R::Model>,
) {
    if let Some(first) = page.first() {
        let key = PageKey {
            parent_id: R::parent_id(first),
            args: args.clone(),
        };
        pages.insert(key, page);
    }
}

/// One parent's list, with the filters the client chose.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountKey {
    pub(super) parent_id: i32,
    pub(super) filters: Vec<Filter>,
}

/// Counts the items of `R` for many parents: one `GROUP BY` per distinct set of filters.
pub struct CountLoader<R> {
    db: ReadPool,
    now: DateTime<Utc>,
    relation: PhantomData<fn() -> R>,
}

impl<R: ChildRelation> BatchLoader for CountLoader<R> {
    type Key = CountKey;
    type Value = i64;

    fn for_request(db: &ReadPool, now: DateTime<Utc>) -> Self {
        Self {
            db: db.clone(),
            now,
            relation: PhantomData,
        }
    }

    async fn load(&self, keys: &[CountKey]) -> Result<HashMap<CountKey, i64>, Arc<DbErr>> {
        let mut by_filters: HashMap<&[Filter], Vec<i32>> = HashMap::new();
        for key in keys {
            by_filters
                .entry(&key.filters)
                .or_default()
                .push(key.parent_id);
        }
        let mut counts = HashMap::new();
        for (filters, parents) in by_filters {
            let statement = sql::count::<R>(filters, parents, self.now);
            for row in self.db.query_all_raw(statement).await? {
                let key = CountKey {
                    parent_id: row.try_get("", "parent_id")?,
                    filters: filters.to_vec(),
                };
                counts.insert(key, row.try_get("", "total")?);
            }
        }
        Ok(counts)
    }
}

/// The rows of `parent_id`'s page of `R` (one more than asked, to tell whether more follow),
/// batched with every other parent's request like `load_page`.
pub async fn load_rows<R: ChildRelation>(
    ctx: &Context<'_>,
    parent_id: i32,
    args: &PageArgs,
) -> Result<Vec<R::Model>, AppError> {
    let key = PageKey {
        parent_id,
        args: args.clone(),
    };
    Ok(load_one::<PageLoader<R>>(ctx, key)
        .await?
        .unwrap_or_default())
}

/// How many items `parent_id`'s whole list of `R` holds, batched like `totalCount`.
pub async fn count_children<R: ChildRelation>(
    ctx: &Context<'_>,
    parent_id: i32,
) -> Result<i64, AppError> {
    let key = CountKey {
        parent_id,
        filters: Vec::new(),
    };
    Ok(load_one::<CountLoader<R>>(ctx, key).await?.unwrap_or(0))
}
