//! Staff administration: admins list and search accounts (metadata only, never health data),
//! deactivate and reactivate them, assign roles, and read the audit log. Every admin action is
//! itself audited.

pub mod graphql;
pub mod service;
pub mod types;
