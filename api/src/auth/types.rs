//! GraphQL view of a device session. The token hash never leaves the server.

use async_graphql::{Context, ID, Json, Object};
use chrono::{DateTime, Utc};
use entity::user_sessions;

use crate::context::optional_viewer;

/// A device signed in to the account.
pub struct UserSession(pub user_sessions::Model);

#[Object]
impl UserSession {
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }
    /// What the client said about the device when signing in (name, platform, app version).
    async fn device_info(&self) -> Json<serde_json::Value> {
        Json(self.0.device_info.clone())
    }
    /// The address the session was opened from, when known.
    async fn ip_address(&self) -> Option<String> {
        self.0.ip_address.map(|ip| ip.ip().to_string())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.to_utc()
    }
    /// Last request made with this session (refreshed at most once a minute).
    async fn last_activity(&self) -> DateTime<Utc> {
        self.0.last_activity.to_utc()
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at.to_utc()
    }
    /// Whether this is the session making the current request.
    async fn is_current(&self, ctx: &Context<'_>) -> bool {
        optional_viewer(ctx).is_some_and(|v| v.session.id == self.0.id)
    }
}
