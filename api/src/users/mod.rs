//! Accounts: the `me` query, the User type with its batched relations, and the profile.

pub mod avatar;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod service;
pub mod types;
pub mod validate;
