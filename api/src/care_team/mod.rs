//! Care-team sharing: patients grant clinicians scoped, revocable, expiring access; clinicians
//! list their patients and write doctor notes; every clinician read and write is audited.

pub mod graphql;
pub mod loaders;
pub mod service;
pub mod types;
