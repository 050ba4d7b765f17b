//! Chat sessions with the health assistant: messages, replies (safety layer first, an
//! external model or the built-in assistant), and live events across replicas.

pub mod assistant;
pub mod events;
pub mod graphql;
pub mod loaders;
pub mod reply;
pub mod safety;
pub mod service;
pub mod store;
pub mod types;
