//! Relay connections over child rows, loaded in batches.
//!
//! Every list that can grow (a user's assessments, reports, chat sessions, device sessions and
//! settings; a chat session's messages) is a Relay connection resolved through a DataLoader:
//! all parents of one request that ask for the same page share one SQL statement, which keeps at
//! most `limit + 1` rows per parent with `ROW_NUMBER() OVER (PARTITION BY parent ...)`.
//! `totalCount` is a separate batched `GROUP BY` that runs only when a client selects it.
//!
//! Top-level lists (an admin's account list, the audit log) use the same arguments, cursors and
//! filters without a parent: [`load_root_page`].
//!
//! Cursors are opaque: base64 of the sort key (timestamp in microseconds) and the row id as
//! tie-breaker. Page size defaults to 20; over 100 is BAD_USER_INPUT.

use std::{collections::HashMap, marker::PhantomData, sync::Arc};

use async_graphql::{
    Context, Object, OutputType,
    connection::{Connection, Edge, EmptyFields},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, Statement, Value,
};

use crate::{
    batching::{BatchLoader, load_one},
    error::AppError,
    read_pool::ReadPool,
    rows::{FromRow, read_all},
};

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// A connection as the schema shows it: edges of `N`, `pageInfo`, and a lazy `totalCount`
/// (answered without async-graphql's resolver when the selection allows, `plain`).
pub use crate::plain::Page;

/// An edge's position, encoded only when a client selects its `cursor` (or `pageInfo`'s).
pub struct Cursor(SortKey);

impl async_graphql::connection::CursorType for Cursor {
    type Error = &'static str;

    fn decode_cursor(cursor: &str) -> Result<Self, Self::Error> {
        decode_cursor(cursor)
            .map(Cursor)
            .ok_or("not a cursor from this list")
    }

    fn encode_cursor(&self) -> String {
        encode_cursor(self.0)
    }
}

/// The position of a row in its list: sort timestamp, then id (`bigint` ids fit as well).
pub type SortKey = (DateTime<Utc>, i64);

/// A one-to-many relation listed as a connection. Table and column names are constants of
/// the code, never client input, so they may be spliced into SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChildList {
    pub table: &'static str,
    pub parent_column: &'static str,
    pub sort_column: &'static str,
    /// Newest first (`true`) or in the order things happened (`false`).
    pub newest_first: bool,
    /// Extra condition on `t` that every row of the list meets (e.g. only live sessions);
    /// `{now}` in it stands for the request's time, bound as a parameter.
    pub condition: Option<&'static str>,
}

/// Ties a list to the entity model its rows load into.
pub trait ChildRelation: Send + Sync + 'static {
    type Model: FromRow + Clone + Send + Sync + 'static;
    const LIST: ChildList;
    fn parent_id(row: &Self::Model) -> i32;
    fn sort_key(row: &Self::Model) -> SortKey;
}

/// Validated Relay arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageArgs {
    after: Option<SortKey>,
    before: Option<SortKey>,
    take: Take,
    filters: Vec<Filter>,
}

/// A condition a client chose for one list (`type`, `from`, `to`). The column is a constant of
/// the code; the value is bound as a parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Filter {
    column: &'static str,
    op: FilterOp,
    value: FilterValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum FilterOp {
    Equals,
    AtOrAfter,
    Before,
    /// `column` is a whole condition written by the code, `{}` standing for the value.
    Condition,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FilterValue {
    Text(String),
    Time(DateTime<Utc>),
    Bool(bool),
    Int(i32),
}

impl Filter {
    pub fn equals(column: &'static str, value: impl Into<String>) -> Self {
        Self {
            column,
            op: FilterOp::Equals,
            value: FilterValue::Text(value.into()),
        }
    }
    pub fn is(column: &'static str, value: bool) -> Self {
        Self {
            column,
            op: FilterOp::Equals,
            value: FilterValue::Bool(value),
        }
    }
    pub fn at_or_after(column: &'static str, at: impl Into<DateTime<Utc>>) -> Self {
        Self {
            column,
            op: FilterOp::AtOrAfter,
            value: FilterValue::Time(at.into()),
        }
    }
    pub fn before(column: &'static str, at: impl Into<DateTime<Utc>>) -> Self {
        Self {
            column,
            op: FilterOp::Before,
            value: FilterValue::Time(at.into()),
        }
    }
    /// A condition on `t` that the code writes, e.g. `t.actor_user_id = {} OR ...`; every
    /// `{}` stands for `value`, bound once as a parameter.
    pub fn condition(template: &'static str, value: FilterValue) -> Self {
        Self {
            column: template,
            op: FilterOp::Condition,
            value,
        }
    }
    /// A client's search text as a filter: none for no or blank text, BAD_USER_INPUT on `search`
    /// past 100 characters; otherwise [`Filter::contains`] on the trimmed text.
    pub fn search(template: &'static str, text: Option<&str>) -> Result<Option<Self>, AppError> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if text.chars().count() > 100 {
            return Err(AppError::bad_input(
                "search",
                "search text may be at most 100 characters",
            ));
        }
        Ok(Some(Self::contains(template, text)))
    }

    /// A search: `template` compares text with `ILIKE {}`, and `{}` is bound to the pattern
    /// "contains `text`" (`%`, `_` and `\` in `text` match themselves).
    pub fn contains(template: &'static str, text: &str) -> Self {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        Self::condition(template, FilterValue::Text(format!("%{escaped}%")))
    }
}

/// Appends ` AND t.<column> <op> $n` for each filter, binding its value.
fn push_filters(filters: &[Filter], values: &mut Vec<Value>, sql: &mut String) {
    for filter in filters {
        values.push(match &filter.value {
            FilterValue::Text(text) => text.clone().into(),
            FilterValue::Time(at) => (*at).into(),
            FilterValue::Bool(value) => (*value).into(),
            FilterValue::Int(value) => (*value).into(),
        });
        let n = values.len();
        let op = match filter.op {
            FilterOp::Equals => "=",
            FilterOp::AtOrAfter => ">=",
            FilterOp::Before => "<",
            FilterOp::Condition => {
                let condition = filter.column.replace("{}", &format!("${n}"));
                sql.push_str(&format!(" AND ({condition})"));
                continue;
            }
        };
        sql.push_str(&format!(" AND t.{} {op} ${n}", filter.column));
    }
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
}

fn invalid_cursor(field: &str) -> AppError {
    AppError::bad_input(field, format!("`{field}` is not a cursor from this list"))
}

pub fn encode_cursor((at, id): SortKey) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{}:{id}", at.timestamp_micros()))
}

fn decode_cursor(cursor: &str) -> Option<SortKey> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let mut parts = raw.strip_prefix("v1:")?.splitn(2, ':');
    let micros = parts.next()?.parse().ok()?;
    let id = parts.next()?.parse().ok()?;
    Some((DateTime::from_timestamp_micros(micros)?, id))
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
        list: R::LIST,
        parent_id,
        filters: Vec::new(),
    };
    Ok(load_one::<CountLoader>(ctx, key).await?.unwrap_or(0))
}

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
    let total = TotalCount {
        key: CountOf::Children(CountKey {
            list: R::LIST,
            parent_id,
            filters: args.filters.clone(),
        }),
    };
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
    let (limit, backward) = match args.take {
        Take::First(n) => (n, false),
        Take::Last(n) => (n, true),
    };
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

/// A list with no parent (every account, the whole audit log), sorted by `SORT` then id.
pub trait RootRelation: Send + Sync + 'static {
    type Model: FromQueryResult + Send + Sync + 'static;
    const TABLE: &'static str;
    const SORT: &'static str;
    const NEWEST_FIRST: bool;
    fn sort_key(row: &Self::Model) -> SortKey;
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
    let (limit, backward) = match args.take {
        Take::First(n) => (n, false),
        Take::Last(n) => (n, true),
    };
    let descending = R::NEWEST_FIRST != backward;
    let dir = if descending { "DESC" } else { "ASC" };
    let mut values = Vec::new();
    let conditions = page_conditions(R::SORT, R::NEWEST_FIRST, &args, &mut values);
    values.push(i64::try_from(limit + 1).unwrap_or(i64::MAX).into());
    let sql = format!(
        "SELECT t.* FROM {table} t WHERE true{conditions} ORDER BY t.{sort} {dir}, t.id {dir} LIMIT ${n}",
        table = R::TABLE,
        sort = R::SORT,
        n = values.len()
    );
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
    let rows = R::Model::find_by_statement(statement).all(db).await?;
    let total = TotalCount {
        key: CountOf::Root {
            table: R::TABLE,
            filters: args.filters.clone(),
        },
    };
    into_page(rows, &args, total, R::sort_key, to_node)
}

/// ` AND ...` for the cursors and filters of `args`, on a list sorted by `sort` then id.
fn page_conditions(
    sort: &str,
    newest_first: bool,
    args: &PageArgs,
    values: &mut Vec<Value>,
) -> String {
    // In list order, "after" means older for newest-first lists and newer otherwise.
    let (after_op, before_op) = if newest_first { ("<", ">") } else { (">", "<") };
    let mut conditions = String::new();
    for (bound, op) in [(args.after, after_op), (args.before, before_op)] {
        if let Some((at, id)) = bound {
            values.push(at.into());
            values.push(id.into());
            let n = values.len();
            conditions.push_str(&format!(" AND (t.{sort}, t.id) {op} (${}, ${n})", n - 1));
        }
    }
    push_filters(&args.filters, values, &mut conditions);
    conditions
}

/// Extra connection field: how many items the whole list holds.
pub struct TotalCount {
    key: CountOf,
}

enum CountOf {
    Children(CountKey),
    Root {
        table: &'static str,
        filters: Vec<Filter>,
    },
}

/// One parent's list, with the filters the client chose.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountKey {
    list: ChildList,
    parent_id: i32,
    filters: Vec<Filter>,
}

#[Object]
impl TotalCount {
    /// Number of items in the whole list, across all pages. Costs a count: select it only
    /// when it is shown.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64, AppError> {
        match &self.key {
            CountOf::Children(key) => Ok(load_one::<CountLoader>(ctx, key.clone())
                .await?
                .unwrap_or(0)),
            CountOf::Root { table, filters } => {
                let mut values = Vec::new();
                let mut conditions = String::new();
                push_filters(filters, &mut values, &mut conditions);
                let sql = format!("SELECT count(*) AS total FROM {table} t WHERE true{conditions}");
                let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
                let db = ctx.data_unchecked::<DatabaseConnection>();
                let row = db.query_one_raw(statement).await?;
                Ok(row
                    .map(|r| r.try_get("", "total"))
                    .transpose()?
                    .unwrap_or(0))
            }
        }
    }
}

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
            let statement = page_statement::<R::Model>(&R::LIST, args, parents, self.now);
            let rows = self.db.query_all_raw(statement).await?;
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

/// `limit + 1` rows per parent in list order (reversed for `last`), filtered by the cursors;
/// the columns of `M` in its order.
fn page_statement<M: FromRow>(
    list: &ChildList,
    args: &PageArgs,
    parents: Vec<i32>,
    now: DateTime<Utc>,
) -> Statement {
    let ChildList {
        table,
        parent_column: fk,
        sort_column: sort,
        newest_first,
        condition,
    } = *list;
    let (limit, backward) = match args.take {
        Take::First(n) => (n, false),
        Take::Last(n) => (n, true),
    };
    // Direction in which rows are numbered: the list order, or its reverse for `last`.
    let descending = newest_first != backward;
    let dir = if descending { "DESC" } else { "ASC" };

    let mut values: Vec<Value> = vec![parents.into()];
    let mut filters = String::new();
    if let Some(condition) = condition {
        filters.push_str(" AND ");
        filters.push_str(&bind_now(condition, now, &mut values));
    }
    filters.push_str(&page_conditions(sort, newest_first, args, &mut values));
    values.push(i64::try_from(limit + 1).unwrap_or(i64::MAX).into());
    let sql = format!(
        "SELECT {columns} FROM (\
           SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.{fk} ORDER BY t.{sort} {dir}, t.id {dir}) AS page_row \
           FROM {table} t WHERE t.{fk} = ANY($1){filters}\
         ) p WHERE p.page_row <= ${} ORDER BY p.{fk}, p.page_row",
        values.len(),
        columns = M::select_list("p"),
    );
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// Counts list items for many parents: one `GROUP BY` per list.
pub struct CountLoader {
    db: ReadPool,
    now: DateTime<Utc>,
}

/// Replaces `{now}` in a list condition with a bound parameter holding `now`.
fn bind_now(condition: &str, now: DateTime<Utc>, values: &mut Vec<Value>) -> String {
    if !condition.contains("{now}") {
        return condition.to_owned();
    }
    values.push(now.into());
    condition.replace("{now}", &format!("${}", values.len()))
}

impl BatchLoader for CountLoader {
    type Key = CountKey;
    type Value = i64;

    fn for_request(db: &ReadPool, now: DateTime<Utc>) -> Self {
        Self {
            db: db.clone(),
            now,
        }
    }

    async fn load(&self, keys: &[CountKey]) -> Result<HashMap<CountKey, i64>, Arc<DbErr>> {
        let mut by_list: HashMap<(ChildList, &[Filter]), Vec<i32>> = HashMap::new();
        for key in keys {
            by_list
                .entry((key.list, &key.filters))
                .or_default()
                .push(key.parent_id);
        }
        let mut counts = HashMap::new();
        for ((list, filters), parents) in by_list {
            let ChildList {
                table,
                parent_column: fk,
                condition,
                ..
            } = list;
            let mut values: Vec<Value> = vec![parents.into()];
            let mut extra = condition
                .map(|c| format!(" AND {}", bind_now(c, self.now, &mut values)))
                .unwrap_or_default();
            push_filters(filters, &mut values, &mut extra);
            let sql = format!(
                "SELECT t.{fk} AS parent_id, count(*) AS total FROM {table} t \
                 WHERE t.{fk} = ANY($1){extra} GROUP BY t.{fk}"
            );
            let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
            for row in self.db.query_all_raw(statement).await? {
                let parent_id: i32 = row.try_get("", "parent_id")?;
                let key = CountKey {
                    list,
                    parent_id,
                    filters: filters.to_vec(),
                };
                counts.insert(key, row.try_get("", "total")?);
            }
        }
        Ok(counts)
    }
}

/// Declares a [`ChildRelation`]: `Name: entity_module.parent_column, sorted by column`.
/// The entity module name is the table name, and the columns are the model's fields, so a
/// typo fails to compile instead of failing in SQL.
#[macro_export]
macro_rules! child_relation {
    (
        $(#[$meta:meta])*
        $name:ident: $table:ident . $parent:ident, sorted by $sort:ident,
        newest_first: $newest_first:expr, condition: $condition:expr $(,)?
    ) => {
        $(#[$meta])*
        pub struct $name;

        impl $crate::pagination::ChildRelation for $name {
            type Model = entity::$table::Model;
            const LIST: $crate::pagination::ChildList = $crate::pagination::ChildList {
                table: stringify!($table),
                parent_column: stringify!($parent),
                sort_column: stringify!($sort),
                newest_first: $newest_first,
                condition: $condition,
            };
            fn parent_id(row: &Self::Model) -> i32 {
                row.$parent
            }
            fn sort_key(row: &Self::Model) -> $crate::pagination::SortKey {
                (row.$sort.to_utc(), i64::from(row.id))
            }
        }
    };
}

/// A page of `nodes` (sort key and node), for tests of how pages are shown.
#[cfg(test)]
pub(crate) fn test_page<N: OutputType>(nodes: Vec<(SortKey, N)>, has_next_page: bool) -> Page<N> {
    let total = TotalCount {
        key: CountOf::Root {
            table: "unused",
            filters: Vec::new(),
        },
    };
    let mut page: Connection<Cursor, N, TotalCount, EmptyFields> =
        Connection::with_additional_fields(false, has_next_page, total);
    for (key, node) in nodes {
        page.edges.push(Edge::new(Cursor(key), node));
    }
    Page(page)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_to_the_microsecond() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap_or_default();
        assert_eq!(decode_cursor(&encode_cursor((at, 42))), Some((at, 42)));
    }

    #[test]
    fn foreign_or_garbled_cursors_are_rejected() {
        for bad in ["", "abc", "djE6eDo1", &URL_SAFE_NO_PAD.encode("v2:1:2")] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
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

/// Cursors come back from clients: any text must decode to a key or to nothing, never panic,
/// and every key must survive the trip (10,000 cases each).
#[cfg(test)]
mod cursor_properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn every_key_round_trips(
            micros in -62_135_596_800_000_000_i64..253_402_300_799_999_999_i64,
            id in any::<i64>(),
        ) {
            let at = DateTime::from_timestamp_micros(micros).unwrap_or_default();
            prop_assert_eq!(decode_cursor(&encode_cursor((at, id))), Some((at, id)));
        }

        #[test]
        fn any_text_decodes_or_is_refused(text in "\\PC*") {
            let _ = decode_cursor(&text);
        }

        #[test]
        fn any_encoded_bytes_decode_or_are_refused(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            if let Some(key) = decode_cursor(&URL_SAFE_NO_PAD.encode(&bytes)) {
                // Whatever decodes is a key that encodes back to a valid cursor.
                prop_assert_eq!(decode_cursor(&encode_cursor(key)), Some(key));
            }
        }
    }
}
