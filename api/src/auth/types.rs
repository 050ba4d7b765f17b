//! GraphQL view of a device session. The token hash never leaves the server.

use async_graphql::{Context, ID, Object};
use entity::user_sessions;

use crate::{context::optional_viewer, scalars};

/// A device signed in to the account.
pub struct UserSession {
    row: user_sessions::Model,
    /// Opened by the request being answered (sign-in), so current although the request
    /// itself came without a token.
    opened_now: bool,
}

impl UserSession {
    pub fn new(row: user_sessions::Model) -> Self {
        Self {
            row,
            opened_now: false,
        }
    }

    pub fn opened_now(row: user_sessions::Model) -> Self {
        Self {
            row,
            opened_now: true,
        }
    }
}

/// A device signed in to the account (a session).
#[Object]
impl UserSession {
    /// The session's id.
    async fn id(&self) -> ID {
        ID::from(self.row.id.to_string())
    }
    /// What the client said about the device when signing in (name, platform, app version).
    async fn device_info(&self) -> scalars::Json<&serde_json::Value> {
        scalars::Json(&self.row.device_info)
    }
    /// The address the session was opened from, when known.
    async fn ip_address(&self) -> Option<String> {
        self.row.ip_address.map(|ip| ip.ip().to_string())
    }
    /// When the device signed in.
    async fn created_at(&self) -> scalars::DateTime {
        self.row.created_at.into()
    }
    /// Last request made with this session (refreshed at most once a minute).
    async fn last_activity(&self) -> scalars::DateTime {
        self.row.last_activity.into()
    }
    /// When the session ends at the latest (it also ends after its idle timeout).
    async fn expires_at(&self) -> scalars::DateTime {
        self.row.expires_at.into()
    }
    /// Whether this is the session making the current request.
    async fn is_current(&self, ctx: &Context<'_>) -> bool {
        self.opened_now || optional_viewer(ctx).is_some_and(|v| v.session.id == self.row.id)
    }
}

/// The device a sign-in comes from.
#[derive(async_graphql::InputObject, Default)]
pub struct DeviceInput {
    /// What the client says about itself (name, platform, app version): a JSON object of at
    /// most 1 KiB. The server adds the user agent.
    pub info: Option<scalars::Json<serde_json::Value>>,
    /// Keep this device signed in longer (30 days, 7 days idle) instead of 12 hours, 30
    /// minutes idle.
    #[graphql(default)]
    pub remember_device: bool,
}

impl DeviceInput {
    pub fn into_device(self) -> crate::auth::flows::Device {
        crate::auth::flows::Device {
            info: self.info.map(|j| j.0),
            remember: self.remember_device,
        }
    }
}

/// A handful of devices per account. (`plain`: resolved by async-graphql.)
impl crate::plain::PlainFields for UserSession {}
