//! Queries about the caller's sign-in.

use async_graphql::{Context, Object};

use super::types::UserSession;
use crate::{context::viewer, error::AppError};

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The device session this request is signed in with. UNAUTHENTICATED without a valid token.
    async fn current_session(&self, ctx: &Context<'_>) -> Result<UserSession, AppError> {
        Ok(UserSession::new(viewer(ctx)?.session.clone()))
    }
}
