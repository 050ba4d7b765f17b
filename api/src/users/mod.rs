//! Accounts: the `me` query, the User type with its batched relations, and the profile.

pub mod avatar;
pub mod graphql;
pub mod loaders;
pub mod person;
pub mod service;
pub mod types;
pub mod validate;
