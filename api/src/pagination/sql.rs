//! The statements behind lists, built with sea-query from the relations' typed columns; every
//! value (parent ids, cursors, filters, the page size) is a bound parameter.

use std::any::TypeId;

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
    cursor::SortKey,
    filter::Filter,
    relation::{ChildRelation, RootRelation},
    shapes::{self, Inputs, Shape},
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
    (after, before): (Option<SortKey>, Option<SortKey>),
    filters: &[Filter],
) {
    for (bound, after) in [(after, true), (before, false)] {
        if let Some((at, row_id)) = bound {
            // In list order, "after" means older for newest-first lists and newer otherwise.
            let older = after == newest_first;
            let row = Expr::tuple([Expr::col(sort.clone()), Expr::col(id.clone())]);
            let key = Expr::tuple([Expr::val(at), Expr::val(row_id)]);
            query.and_where(if older { row.lt(key) } else { row.gt(key) });
        }
    }
    filter(query, filters);
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
/// Without filters, the text comes from the shape's template (`shapes`).
pub(super) fn page<R: ChildRelation>(
    args: &PageArgs,
    parents: Vec<i32>,
    now: DateTime<Utc>,
) -> Statement {
    let (limit, backward) = args.limit();
    let inputs = Inputs {
        parents,
        now,
        after: args.after,
        before: args.before,
        rows: i64::try_from(limit + 1).unwrap_or(i64::MAX),
    };
    if !args.filters.is_empty() {
        return build_page::<R>(&inputs, backward, &args.filters);
    }
    let shape = Shape {
        relation: TypeId::of::<R>(),
        count: false,
        backward,
        after: args.after.is_some(),
        before: args.before.is_some(),
    };
    shapes::statement(shape, &inputs, |inputs| {
        build_page::<R>(inputs, backward, &[])
    })
}

fn build_page<R: ChildRelation>(inputs: &Inputs, backward: bool, filters: &[Filter]) -> Statement {
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
    children_of::<R>(&mut numbered, inputs.parents.clone(), inputs.now);
    let cursors = (inputs.after, inputs.before);
    page_conditions(&mut numbered, (sort, id), R::NEWEST_FIRST, cursors, filters);

    let mut query = Query::select();
    query
        .columns(R::Model::COLUMNS.iter().map(|column| ("p", *column)))
        .from_subquery(numbered, "p")
        .and_where(Expr::col(("p", "page_row")).lte(inputs.rows))
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
    let inputs = Inputs {
        parents,
        now,
        after: None,
        before: None,
        rows: 0,
    };
    if !filters.is_empty() {
        return build_count::<R>(&inputs, filters);
    }
    let shape = Shape {
        relation: TypeId::of::<R>(),
        count: true,
        backward: false,
        after: false,
        before: false,
    };
    shapes::statement(shape, &inputs, |inputs| build_count::<R>(inputs, &[]))
}

fn build_count<R: ChildRelation>(inputs: &Inputs, filters: &[Filter]) -> Statement {
    let parent = R::PARENT.as_column_ref();
    let mut query = Query::select();
    query
        .expr_as(Expr::col(parent.clone()), "parent_id")
        .expr_as(Func::count(Expr::col(Asterisk)), "total");
    children_of::<R>(&mut query, inputs.parents.clone(), inputs.now);
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
    let cursors = (args.after, args.before);
    let filters = &args.filters;
    page_conditions(
        &mut query,
        (sort.clone(), id.clone()),
        R::NEWEST_FIRST,
        cursors,
        filters,
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

    /// Every list's statements from their shape's template are exactly what sea-query writes
    /// for the same inputs: pages in both directions with and without each cursor, and counts,
    /// for lists with and without a condition of their own; asked twice, so the second answer
    /// comes from the template.
    #[test]
    fn templates_give_the_statements_sea_query_writes() {
        fn check<R: ChildRelation>() {
            let at = |micros: i64| chrono::DateTime::from_timestamp_micros(micros).unwrap();
            for round in 0..2_i64 {
                let now = at(1_764_000_000_000_000 + round);
                let parents = vec![3, 5 + i32::try_from(round).unwrap()];
                for (first, last) in [(Some(4), None), (None, Some(7)), (None, None)] {
                    for after in [None, Some((at(1_700_000_000_123_456 + round), 11 + round))] {
                        for before in [None, Some((at(1_800_000_000_654_321), 13))] {
                            let cursor =
                                |key: Option<SortKey>| key.map(crate::pagination::encode_cursor);
                            let args = PageArgs::parse(cursor(after), cursor(before), first, last)
                                .unwrap();
                            let (limit, backward) = args.limit();
                            let inputs = Inputs {
                                parents: parents.clone(),
                                now,
                                after,
                                before,
                                rows: i64::try_from(limit + 1).unwrap(),
                            };
                            assert_eq!(
                                page::<R>(&args, parents.clone(), now),
                                build_page::<R>(&inputs, backward, &[]),
                            );
                        }
                    }
                }
                let inputs = Inputs {
                    parents: parents.clone(),
                    now,
                    after: None,
                    before: None,
                    rows: 0,
                };
                assert_eq!(
                    count::<R>(&[], parents, now),
                    build_count::<R>(&inputs, &[])
                );
            }
        }
        check::<AssessmentsByUserId>();
        check::<crate::chat::loaders::MessagesBySessionId>();
        check::<crate::auth::loaders::SessionsByUserId>();
        check::<crate::care_team::loaders::LiveGrantsByClinicianId>();
        check::<crate::reports::loaders::ReportsByUserId>();
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

/// What a page statement costs: from its shape's template (`shapes`, what requests use),
/// written by sea-query, and the same text written with `format!` (how pagination.rs built
/// it before). Prints figures, asserts nothing; run it in
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
            let templated = started.elapsed() / rounds;
            let started = std::time::Instant::now();
            for i in 0..rounds {
                let inputs = Inputs {
                    parents: vec![i32::try_from(i).unwrap_or(0)],
                    now,
                    after: None,
                    before: None,
                    rows: 6,
                };
                bytes += build_page::<AssessmentsByUserId>(&inputs, false, &[])
                    .sql
                    .len();
            }
            let written = started.elapsed() / rounds;
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
            println!(
                "per page statement: from the shape's template {templated:?}, written by \
                 sea-query {written:?}, written with format! {text:?} ({bytes} bytes)"
            );
        }
    }
}
