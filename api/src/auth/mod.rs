//! Authentication: accounts, one-time codes, passwords, bearer tokens and the device sessions
//! (user_sessions) behind them.

pub mod audit;
pub mod flows;
pub mod graphql;
pub mod loaders;
pub mod otp;
pub mod password;
pub mod service;
pub mod session_cache;
pub mod single_check;
pub mod token;
pub mod types;
pub mod viewer;
