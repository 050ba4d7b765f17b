//! Relay connections over child rows, loaded in batches.
//!
//! Every list that can grow (a user's assessments, reports, chat sessions, device sessions and
//! settings; a chat session's messages) is a Relay connection resolved through a DataLoader:
//! all parents of one request that ask for the same page share one SQL statement, which keeps at
//! most `limit + 1` rows per parent with `ROW_NUMBER() OVER (PARTITION BY parent ...)`.
//! `totalCount` is a separate batched `GROUP BY` that runs only when a client selects it.
//! Top-level lists (an admin's account list, the audit log) use the same arguments, cursors and
//! filters without a parent: [`load_root_page`].
//!
//! By concern: the arguments ([`args`]), cursors ([`cursor`]), the filters a client chose
//! ([`filter`]), what a list is ([`relation`], typed columns of the entities), the statements
//! ([`sql`], sea-query; their text written once per shape, [`shapes`]), the batched loads ([`loader`]), `totalCount` ([`count`]) and the
//! connection a client sees ([`page`]). Page size defaults to 20; over 100 is BAD_USER_INPUT.

pub mod args;
pub mod count;
pub mod cursor;
pub mod filter;
pub mod loader;
pub mod page;
pub mod relation;
mod shapes;
mod sql;

#[cfg(test)]
pub(crate) use self::page::test_page;
pub use self::{
    args::{PageArgs, cost},
    cursor::{SortKey, encode_cursor},
    filter::Filter,
    loader::{count_children, load_rows},
    page::{load_page, load_root_page},
    relation::{ChildRelation, RootRelation},
};
/// A connection as the schema shows it: edges of `N`, `pageInfo`, and a lazy `totalCount`
/// (answered without async-graphql's resolver when the selection allows, `plain`).
pub use crate::plain::Page;
