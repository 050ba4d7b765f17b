//! Per-user app settings: a registry of known settings with types, defaults and allowed
//! values, plus bounded custom settings under `custom.`.

pub mod graphql;
pub mod loaders;
pub mod registry;
pub mod service;
pub mod types;
