//! Authentication: bearer tokens and the device sessions (user_sessions) behind them.

pub mod loaders;
pub mod query;
pub mod service;
pub mod token;
pub mod types;
