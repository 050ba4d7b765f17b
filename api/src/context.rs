//! Per-request data seen by resolvers: the database and the signed-in caller (the viewer).

use std::net::IpAddr;

use async_graphql::{Context, ID};
use sea_orm::DatabaseConnection;

pub use crate::auth::viewer::Viewer;
use crate::{enums::Role, error::AppError, services::AppServices};

/// Who is calling from where: the client address (the peer, or the forwarded address when the
/// peer is a trusted proxy) and the user agent, bounded.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// The request's viewer, absent when no valid token came with it.
#[derive(Debug, Clone, Default)]
pub struct MaybeViewer(pub Option<Viewer>);

/// The database this request reads from: the primary, or the read replica for a query that
/// may be served from it (`AppState::database_for`). Resolvers of mutations get the primary.
pub fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    // Every request gets its connection in `schema::prepare_request`; its absence is a bug.
    ctx.data_unchecked::<DatabaseConnection>()
}

/// The primary of the request's HTTP worker; for a write made while answering a query (an
/// audit record).
pub struct PrimaryDb(pub DatabaseConnection);

pub fn primary<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    &ctx.data_unchecked::<PrimaryDb>().0
}

/// The signed-in caller, if any.
pub fn optional_viewer<'a>(ctx: &Context<'a>) -> Option<&'a Viewer> {
    ctx.data_opt::<MaybeViewer>().and_then(|v| v.0.as_ref())
}

/// The signed-in caller, or UNAUTHENTICATED.
pub fn viewer<'a>(ctx: &Context<'a>) -> Result<&'a Viewer, AppError> {
    optional_viewer(ctx).ok_or(AppError::Unauthenticated)
}

/// The signed-in caller if they hold `role`; FORBIDDEN for any other role.
pub fn viewer_with_role<'a>(ctx: &Context<'a>, role: Role) -> Result<&'a Viewer, AppError> {
    let viewer = viewer(ctx)?;
    if Role::from_db(&viewer.user.role)? == role {
        Ok(viewer)
    } else {
        Err(AppError::Forbidden)
    }
}

pub fn services<'a>(ctx: &Context<'a>) -> &'a AppServices {
    ctx.data_unchecked::<std::sync::Arc<AppServices>>()
}

pub fn client<'a>(ctx: &Context<'a>) -> &'a ClientInfo {
    static UNKNOWN: ClientInfo = ClientInfo {
        ip: None,
        user_agent: None,
    };
    ctx.data_opt::<ClientInfo>().unwrap_or(&UNKNOWN)
}

/// A row id from a GraphQL `ID`; anything that is not one is NOT_FOUND (as an id that is not
/// the caller's would be).
pub fn parse_id(id: &ID) -> Result<i32, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}
