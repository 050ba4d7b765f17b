//! The statements behind lists, built with sea-query from the relations' typed columns; every
//! value (parent ids, cursors, filters, the page size) is a bound parameter.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DbBackend, Statement,
    sea_query::{
        Asterisk, DynIden, Expr, ExprTrait, Func, Order, Query, SelectStatement, WindowStatement,
        extension::postgres::PgFunc,
    },
};

use super::{
    args::PageArgs,
    filter::Filter,
    relation::{ChildRelation, RootRelation},
};
use crate::rows::FromRow;

type ColumnRef = (DynIden, DynIden);

/// The order rows are fetched in: the list order, or its reverse for `last`.
fn fetch_order(newest_first: bool, backward: bool) -> Order {
    if newest_first != backward {
        Order::Desc
    } else {
        Order::Asc
    }
}

/// Narrows `query` to the rows between the page's cursors and within its filters, on a list
/// sorted by `sort` then `id`.
fn page_conditions(
    query: &mut SelectStatement,
    (sort, id): (ColumnRef, ColumnRef),
    newest_first: bool,
    args: &PageArgs,
) {
    for (bound, after) in [(args.after, true), (args.before, false)] {
        if let Some((at, row_id)) = bound {
            // In list order, "after" means older for newest-first lists and newer otherwise.
            let older = after == newest_first;
            let row = Expr::tuple([Expr::col(sort.clone()), Expr::col(id.clone())]);
            let key = Expr::tuple([Expr::val(at), Expr::val(row_id)]);
            query.and_where(if older { row.lt(key) } else { row.gt(key) });
        }
    }
    filter(query, &args.filters);
}

fn filter(query: &mut SelectStatement, filters: &[Filter]) {
    for filter in filters {
        query.cond_where(filter.condition.clone());
    }
}

/// The rows of `R` whose parent is one of `parents`, under the list's own condition.
fn children_of<R: ChildRelation>(
    query: &mut SelectStatement,
    parents: Vec<i32>,
    now: DateTime<Utc>,
) {
    query
        .from(R::Entity::default())
        .and_where(Expr::col(R::PARENT.as_column_ref()).eq(PgFunc::any(Expr::val(parents))));
    if let Some(condition) = R::condition(now) {
        query.cond_where(condition);
    }
}

/// `limit + 1` rows of each parent's page of `R` in fetch order, numbered per parent with
/// `ROW_NUMBER() OVER (PARTITION BY parent ...)`; the columns of `R::Model` in its order.
pub(super) fn page<R: ChildRelation>(
    args: &PageArgs,
    parents: Vec<i32>,
    now: DateTime<Utc>,
) -> Statement {
    let (limit, backward) = args.limit();
    let order = fetch_order(R::NEWEST_FIRST, backward);
    let (sort, id) = (R::SORT.as_column_ref(), R::ID.as_column_ref());
    let mut window = WindowStatement::partition_by(R::PARENT.as_column_ref());
    window
        .order_by(sort.clone(), order.clone())
        .order_by(id.clone(), order);

    let mut numbered = Query::select();
    numbered
        .column((R::Entity::default(), Asterisk))
        .expr_window_as(Func::cust("ROW_NUMBER"), window, "page_row");
    children_of::<R>(&mut numbered, parents, now);
    page_conditions(&mut numbered, (sort, id), R::NEWEST_FIRST, args);

    let rows = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    let mut query = Query::select();
    query
        .columns(R::Model::COLUMNS.iter().map(|column| ("p", *column)))
        .from_subquery(numbered, "p")
        .and_where(Expr::col(("p", "page_row")).lte(rows))
        .order_by(("p", R::PARENT), Order::Asc)
        .order_by(("p", "page_row"), Order::Asc);
    DbBackend::Postgres.build(&query)
}

/// How many rows of `R` each of `parents` has within `filters`: `parent_id`, `total`.
pub(super) fn count<R: ChildRelation>(
    filters: &[Filter],
    parents: Vec<i32>,
    now: DateTime<Utc>,
) -> Statement {
    let parent = R::PARENT.as_column_ref();
    let mut query = Query::select();
    query
        .expr_as(Expr::col(parent.clone()), "parent_id")
        .expr_as(Func::count(Expr::col(Asterisk)), "total");
    children_of::<R>(&mut query, parents, now);
    filter(&mut query, filters);
    query.group_by_col(parent);
    DbBackend::Postgres.build(&query)
}

/// One page of a list without parent, `limit + 1` rows in fetch order.
pub(super) fn root_page<R: RootRelation>(args: &PageArgs) -> Statement {
    let (limit, backward) = args.limit();
    let order = fetch_order(R::NEWEST_FIRST, backward);
    let (sort, id) = (R::SORT.as_column_ref(), R::ID.as_column_ref());
    let mut query = Query::select();
    query
        .column((R::Entity::default(), Asterisk))
        .from(R::Entity::default());
    page_conditions(
        &mut query,
        (sort.clone(), id.clone()),
        R::NEWEST_FIRST,
        args,
    );
    query
        .order_by(sort, order.clone())
        .order_by(id, order)
        .limit(u64::try_from(limit + 1).unwrap_or(u64::MAX));
    DbBackend::Postgres.build(&query)
}

/// How many rows a list without parent has within `filters`: `total`.
pub(super) fn root_count<R: RootRelation>(filters: &[Filter]) -> Statement {
    let mut query = Query::select();
    query
        .expr_as(Func::count(Expr::col(Asterisk)), "total")
        .from(R::Entity::default());
    filter(&mut query, filters);
    DbBackend::Postgres.build(&query)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use entity::health_assessments;
    use sea_orm::ColumnTrait;

    use super::*;
    use crate::assessments::loaders::AssessmentsByUserId;

    /// The statement a page of assessments sends, as docs/api.md shows it: one per page
    /// request, whatever the number of parents, every value a parameter.
    #[test]
    fn a_page_is_one_windowed_statement_with_every_value_bound() {
        let after = crate::pagination::encode_cursor((chrono::DateTime::UNIX_EPOCH, 7));
        let args = PageArgs::parse(Some(after), None, Some(5), None)
            .unwrap()
            .with_filters(vec![Filter::new(
                health_assessments::Column::AssessmentType.eq("bmi"),
            )]);
        let statement = page::<AssessmentsByUserId>(&args, vec![1, 2], chrono::Utc::now());
        let sql = statement.sql.replace('"', "");
        let columns = health_assessments::Model::COLUMNS
            .iter()
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(
            sql,
            format!(
                "SELECT {columns} FROM (SELECT health_assessments.*, ROW_NUMBER() OVER \
                 ( PARTITION BY health_assessments.user_id ORDER BY health_assessments.created_at DESC, \
                 health_assessments.id DESC ) AS page_row FROM health_assessments \
                 WHERE health_assessments.user_id = ANY($1) \
                 AND (health_assessments.created_at, health_assessments.id) < ($2, $3) \
                 AND health_assessments.assessment_type = $4) AS p \
                 WHERE p.page_row <= $5 ORDER BY p.user_id ASC, p.page_row ASC"
            )
        );
        assert_eq!(statement.values.unwrap().0.len(), 5);
    }

    /// Oldest-first lists (a session's messages) asked from the end (`last`, `before`): rows
    /// are fetched newest first, and `before` means older.
    #[test]
    fn the_last_page_of_an_oldest_first_list_is_fetched_in_reverse() {
        let before = crate::pagination::encode_cursor((chrono::DateTime::UNIX_EPOCH, 9));
        let args = PageArgs::parse(None, Some(before), None, Some(3)).unwrap();
        let sql =
            page::<crate::chat::loaders::MessagesBySessionId>(&args, vec![1], chrono::Utc::now())
                .sql
                .replace('"', "");
        assert!(
            sql.contains("ORDER BY chat_messages.created_at DESC, chat_messages.id DESC"),
            "{sql}"
        );
        assert!(
            sql.contains("AND (chat_messages.created_at, chat_messages.id) < ($2, $3)"),
            "{sql}"
        );
    }

    /// A list with a condition of its own (live device sessions) keeps it in its pages and its
    /// counts, with the request's time bound as a parameter.
    #[test]
    fn a_lists_own_condition_is_in_its_pages_and_counts() {
        let now = chrono::Utc::now();
        let args = PageArgs::parse(None, None, None, None).unwrap();
        let live = "WHERE user_sessions.user_id = ANY($1) AND user_sessions.is_active = $2 \
                    AND user_sessions.expires_at > $3 AND (user_sessions.last_activity + \
                    make_interval(secs => user_sessions.idle_timeout_seconds) > $4)";
        let page = page::<crate::auth::loaders::SessionsByUserId>(&args, vec![1], now);
        assert!(page.sql.replace('"', "").contains(live), "{}", page.sql);
        let count = count::<crate::auth::loaders::SessionsByUserId>(&[], vec![1], now);
        let count_sql = count.sql.replace('"', "");
        assert!(count_sql.contains(live), "{count_sql}");
        assert!(
            count_sql.ends_with("GROUP BY user_sessions.user_id"),
            "{count_sql}"
        );
        assert_eq!(count.values.unwrap().0.len(), 4);
    }
}

/// What building a page statement costs: sea-query against the same text written with
/// `format!` (how pagination.rs built it before). Prints figures, asserts nothing; run it in
/// release: `cargo test --release -p api --lib pagination::sql::timing -- --ignored --nocapture`
/// (docs/benchmarks.md).
#[cfg(test)]
mod timing {
    use sea_orm::Value;

    use super::*;
    use crate::assessments::loaders::AssessmentsByUserId;

    #[test]
    #[ignore = "a benchmark: prints figures"]
    fn building_a_page_statement() {
        let Ok(args) = PageArgs::parse(None, None, Some(5), None) else {
            return;
        };
        let now = chrono::Utc::now();
        let rounds = 200_000_u32;
        for _ in 0..3 {
            let started = std::time::Instant::now();
            let mut bytes = 0;
            for i in 0..rounds {
                let parent = i32::try_from(i).unwrap_or(0);
                bytes += page::<AssessmentsByUserId>(&args, vec![parent, parent + 1], now)
                    .sql
                    .len();
            }
            let typed = started.elapsed() / rounds;
            let started = std::time::Instant::now();
            for i in 0..rounds {
                let parent = i32::try_from(i).unwrap_or(0);
                let values: Vec<Value> = vec![vec![parent, parent + 1].into(), 6_i64.into()];
                let sql = format!(
                    "SELECT {} FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.user_id \
                     ORDER BY t.created_at DESC, t.id DESC) AS page_row FROM health_assessments t \
                     WHERE t.user_id = ANY($1)) p WHERE p.page_row <= $2 ORDER BY p.user_id, p.page_row",
                    <entity::health_assessments::Model as FromRow>::select_list("p"),
                );
                bytes += Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
                    .sql
                    .len();
            }
            let text = started.elapsed() / rounds;
            println!("sea-query {typed:?} per page statement, format! {text:?} ({bytes} bytes)");
        }
    }
}
