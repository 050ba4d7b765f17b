//! A connection as the client sees it, from the rows of one page.

use async_graphql::{
    Context, OutputType,
    connection::{Connection, Edge, EmptyFields},
};
use sea_orm::{DatabaseConnection, FromQueryResult};

use super::{
    args::PageArgs,
    count::TotalCount,
    cursor::{Cursor, SortKey},
    loader::load_rows,
    relation::{ChildRelation, RootRelation},
    sql,
};
use crate::{error::AppError, plain::Page};

/// Resolves one connection field: `parent_id`'s page of `R`, each row shown as `N`.
pub async fn load_page<R, N>(
    ctx: &Context<'_>,
    parent_id: i32,
    args: PageArgs,
    to_node: impl Fn(R::Model) -> Result<N, AppError>,
) -> Result<Page<N>, AppError>
where
    R: ChildRelation,
    N: OutputType,
{
    let rows = load_rows::<R>(ctx, parent_id, &args).await?;
    let total = TotalCount::of_children::<R>(parent_id, args.filters.clone());
    into_page(rows, &args, total, R::sort_key, to_node)
}

/// Resolves a top-level connection: one page of `R`, each row shown as `N`. Runs one statement
/// (a root field is resolved once per request, so there is nothing to batch).
pub async fn load_root_page<R, N>(
    db: &DatabaseConnection,
    args: PageArgs,
    to_node: impl Fn(R::Model) -> Result<N, AppError>,
) -> Result<Page<N>, AppError>
where
    R: RootRelation,
    N: OutputType,
{
    let rows = R::Model::find_by_statement(sql::root_page::<R>(&args))
        .all(db)
        .await?;
    let total = TotalCount::of_root::<R>(args.filters.clone());
    into_page(rows, &args, total, R::sort_key, to_node)
}

/// The page a client sees from `limit + 1` rows fetched in fetch order.
fn into_page<M, N: OutputType>(
    mut rows: Vec<M>,
    args: &PageArgs,
    total: TotalCount,
    sort_key: fn(&M) -> SortKey,
    to_node: impl Fn(M) -> Result<N, AppError>,
) -> Result<Page<N>, AppError> {
    let (limit, backward) = args.limit();
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    if backward {
        rows.reverse();
    }
    let mut page: Connection<Cursor, N, TotalCount, EmptyFields> =
        Connection::with_additional_fields(backward && has_more, !backward && has_more, total);
    page.edges.reserve(rows.len());
    for row in rows {
        let cursor = Cursor(sort_key(&row));
        page.edges.push(Edge::new(cursor, to_node(row)?));
    }
    Ok(Page(page))
}

/// A page of `nodes` (sort key and node), for tests of how pages are shown.
#[cfg(test)]
pub(crate) fn test_page<N: OutputType>(nodes: Vec<(SortKey, N)>, has_next_page: bool) -> Page<N> {
    /// Any list will do: the tests never count.
    struct Accounts;
    impl RootRelation for Accounts {
        type Entity = entity::users::Entity;
        type Model = entity::users::Model;
        const SORT: entity::users::Column = entity::users::Column::CreatedAt;
        const ID: entity::users::Column = entity::users::Column::Id;
        const NEWEST_FIRST: bool = true;
        fn sort_key(row: &Self::Model) -> SortKey {
            (row.created_at.to_utc(), i64::from(row.id))
        }
    }
    let total = TotalCount::of_root::<Accounts>(Vec::new());
    let mut page: Connection<Cursor, N, TotalCount, EmptyFields> =
        Connection::with_additional_fields(false, has_next_page, total);
    for (key, node) in nodes {
        page.edges.push(Edge::new(Cursor(key), node));
    }
    Page(page)
}
