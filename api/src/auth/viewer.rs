//! The caller behind a valid bearer token. Its own module so that what resolves callers
//! (`service`, `session_cache`) does not depend on the request context that holds them.

use entity::{user_sessions, users};

/// The caller behind a valid bearer token: their account and the device session it belongs to.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: users::Model,
    /// The device session the token belongs to.
    pub session: user_sessions::Model,
}
