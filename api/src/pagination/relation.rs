//! What a list is: the table, the column that points at the parent, the sort column and the
//! direction, all as the entity's typed columns.

use chrono::{DateTime, Utc};
use sea_orm::{Condition, EntityTrait, FromQueryResult};

use super::cursor::SortKey;
use crate::rows::FromRow;

/// A one-to-many relation listed as a connection (a user's assessments, a session's messages).
pub trait ChildRelation: Send + Sync + 'static {
    type Entity: EntityTrait;
    type Model: FromRow + Clone + Send + Sync + 'static;
    /// The column that holds the parent's id.
    const PARENT: <Self::Entity as EntityTrait>::Column;
    /// The column the list is sorted by (a timestamp); `ID` breaks ties.
    const SORT: <Self::Entity as EntityTrait>::Column;
    const ID: <Self::Entity as EntityTrait>::Column;
    /// Newest first (`true`) or in the order things happened (`false`).
    const NEWEST_FIRST: bool;
    /// A condition every row of the list meets at `now` (e.g. only live sessions).
    fn condition(now: DateTime<Utc>) -> Option<Condition>;
    fn parent_id(row: &Self::Model) -> i32;
    fn sort_key(row: &Self::Model) -> SortKey;
}

/// A list with no parent (every account, the whole audit log), sorted by `SORT` then `ID`.
pub trait RootRelation: Send + Sync + 'static {
    type Entity: EntityTrait;
    type Model: FromQueryResult + Send + Sync + 'static;
    const SORT: <Self::Entity as EntityTrait>::Column;
    const ID: <Self::Entity as EntityTrait>::Column;
    const NEWEST_FIRST: bool;
    fn sort_key(row: &Self::Model) -> SortKey;
}

/// Declares a [`ChildRelation`]:
/// `Name: entity_module by parent_field (ParentColumn), sorted by sort_field (SortColumn)`.
/// The fields read the model and the columns write the SQL; both are the entity's own, so a
/// typo fails to compile instead of failing in SQL. `condition` is an
/// `Option<fn(DateTime<Utc>) -> Condition>`.
#[macro_export]
macro_rules! child_relation {
    (
        $(#[$meta:meta])*
        $name:ident: $table:ident by $parent:ident ($Parent:ident),
        sorted by $sort:ident ($Sort:ident),
        newest_first: $newest_first:expr, condition: $condition:expr $(,)?
    ) => {
        $(#[$meta])*
        pub struct $name;

        impl $crate::pagination::relation::ChildRelation for $name {
            type Entity = ::entity::$table::Entity;
            type Model = ::entity::$table::Model;
            const PARENT: ::entity::$table::Column = ::entity::$table::Column::$Parent;
            const SORT: ::entity::$table::Column = ::entity::$table::Column::$Sort;
            const ID: ::entity::$table::Column = ::entity::$table::Column::Id;
            const NEWEST_FIRST: bool = $newest_first;
            fn condition(
                now: ::chrono::DateTime<::chrono::Utc>,
            ) -> Option<::sea_orm::Condition> {
                let condition: Option<fn(::chrono::DateTime<::chrono::Utc>) -> ::sea_orm::Condition> =
                    $condition;
                condition.map(|condition| condition(now))
            }
            fn parent_id(row: &Self::Model) -> i32 {
                row.$parent
            }
            fn sort_key(row: &Self::Model) -> $crate::pagination::cursor::SortKey {
                (row.$sort.to_utc(), i64::from(row.id))
            }
        }
    };
}
