//! Accounts: the `me` query and the User type with its batched relations.

pub mod query;
pub mod types;
