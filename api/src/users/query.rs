//! Queries about the signed-in caller.

use async_graphql::{Context, Object};

use super::types::User;
use crate::context::optional_viewer;

#[derive(Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// The signed-in caller; null when the request carries no valid token.
    async fn me(&self, ctx: &Context<'_>) -> Option<User> {
        optional_viewer(ctx).map(|viewer| User(viewer.user.clone()))
    }
}
