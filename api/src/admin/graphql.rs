//! Admin resolvers: thin checks of the ADMIN role over `service`.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{audit_events, users};
use sea_orm::{ColumnTrait, Condition};
use serde_json::json;

use super::{
    service::{self, Actor},
    types::{Account, AllAuditEvents, AllUsers, AuditLogEntry},
};
use crate::{
    context::{Viewer, client, db, parse_id, primary, services, viewer_with_role},
    enums::{AuditEventType, Role},
    error::AppError,
    pagination::{Filter, Page, PageArgs, load_root_page},
    scalars,
    users::service::name_or_email_like,
};

/// The account after an admin changed it.
#[derive(SimpleObject)]
pub struct AccountPayload {
    /// The account as it is now.
    pub account: Account,
}

fn actor(ctx: &Context<'_>, admin: &Viewer) -> Actor {
    Actor {
        user_id: Some(admin.user.id),
        ip: client(ctx).ip,
    }
}

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// ADMIN only: accounts, newest first; `search` matches email or name, `role` and `active`
    /// narrow the list. Shows account metadata only. Recorded in the audit log.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only accounts whose email or name contains this text (case-insensitive, at most 100 characters)."
        )]
        search: Option<String>,
        #[graphql(desc = "Only accounts with this role.")] role: Option<Role>,
        #[graphql(desc = "Only active (true) or deactivated (false) accounts; both when omitted.")]
        active: Option<bool>,
        #[graphql(desc = "Items after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Items from the start: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Items from the end, at most 100 (not with `first`).")] last: Option<i32>,
    ) -> Result<Page<Account>, AppError> {
        let admin = viewer_with_role(ctx, Role::Admin)?;
        let search = Filter::search(search.as_deref(), name_or_email_like)?;
        let searched = search.is_some();
        let mut filters: Vec<Filter> = search.into_iter().collect();
        if let Some(role) = role {
            filters.push(Filter::new(users::Column::Role.eq(role.as_db())));
        }
        if let Some(active) = active {
            filters.push(Filter::new(users::Column::IsActive.eq(active)));
        }
        let args = PageArgs::parse(after, before, first, last)?.with_filters(filters);
        let page = load_root_page::<AllUsers, _>(db(ctx), args, |row| Ok(Account(row))).await?;
        // The search text itself may be an address: record that there was one, not what.
        let used = json!({ "search": searched, "role": role.map(|r| r.as_db()),
                           "active": active });
        let now = services(ctx).clock.now();
        let ip = client(ctx).ip;
        service::record_read(
            primary(ctx),
            admin.user.id,
            AuditEventType::UsersListed,
            used,
            ip,
            now,
        )
        .await?;
        Ok(page)
    }

    /// ADMIN only: the audit log, newest first; `userId` matches the actor or the subject,
    /// `from` inclusive, `to` exclusive. Recorded in the audit log.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only entries about this account (as actor or subject).")] user_id: Option<
            ID,
        >,
        #[graphql(desc = "Only entries of this kind.")] event_type: Option<AuditEventType>,
        #[graphql(desc = "Only entries at or after this instant.")] from: Option<scalars::DateTime>,
        #[graphql(desc = "Only entries before this instant.")] to: Option<scalars::DateTime>,
        #[graphql(desc = "Items after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Items from the start: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Items from the end, at most 100 (not with `first`).")] last: Option<i32>,
    ) -> Result<Page<AuditLogEntry>, AppError> {
        let admin = viewer_with_role(ctx, Role::Admin)?;
        let user_id = user_id
            .map(|id| {
                id.parse::<i32>()
                    .map_err(|_| AppError::bad_input("userId", "`userId` is not an account id"))
            })
            .transpose()?;
        let mut filters = Vec::new();
        if let Some(id) = user_id {
            filters.push(Filter::new(
                Condition::any()
                    .add(audit_events::Column::ActorUserId.eq(id))
                    .add(audit_events::Column::SubjectUserId.eq(id)),
            ));
        }
        if let Some(event_type) = event_type {
            filters.push(Filter::new(
                audit_events::Column::EventType.eq(event_type.as_db()),
            ));
        }
        if let Some(from) = from {
            filters.push(Filter::new(
                audit_events::Column::CreatedAt.gte(DateTime::<Utc>::from(from)),
            ));
        }
        if let Some(to) = to {
            filters.push(Filter::new(audit_events::Column::CreatedAt.lt(DateTime::<
                Utc,
            >::from(
                to
            ))));
        }
        let args = PageArgs::parse(after, before, first, last)?.with_filters(filters);
        let page = load_root_page::<AllAuditEvents, _>(db(ctx), args, |row| Ok(AuditLogEntry(row)))
            .await?;
        let used = json!({ "user_id": user_id, "event_type": event_type.map(|e| e.as_db()),
                           "from": from, "to": to });
        let now = services(ctx).clock.now();
        let ip = client(ctx).ip;
        service::record_read(
            primary(ctx),
            admin.user.id,
            AuditEventType::AuditLogRead,
            used,
            ip,
            now,
        )
        .await?;
        Ok(page)
    }
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// ADMIN only: deactivates an account; its sessions end at once and it cannot sign in.
    /// Not your own (CONFLICT).
    async fn deactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's id.")] id: ID,
    ) -> Result<AccountPayload, AppError> {
        let admin = viewer_with_role(ctx, Role::Admin)?;
        let now = services(ctx).clock.now();
        let user =
            service::set_active(db(ctx), actor(ctx, admin), parse_id(&id)?, false, now).await?;
        Ok(changed(ctx, user))
    }

    /// ADMIN only: lets a deactivated account sign in again.
    async fn reactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's id.")] id: ID,
    ) -> Result<AccountPayload, AppError> {
        let admin = viewer_with_role(ctx, Role::Admin)?;
        let now = services(ctx).clock.now();
        let user =
            service::set_active(db(ctx), actor(ctx, admin), parse_id(&id)?, true, now).await?;
        Ok(changed(ctx, user))
    }

    /// ADMIN only: gives an account a role. Not your own (CONFLICT).
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's id.")] id: ID,
        #[graphql(desc = "The role to give: USER, CLINICIAN or ADMIN.")] role: Role,
    ) -> Result<AccountPayload, AppError> {
        let admin = viewer_with_role(ctx, Role::Admin)?;
        let now = services(ctx).clock.now();
        let user = service::set_role(db(ctx), actor(ctx, admin), parse_id(&id)?, role, now).await?;
        Ok(changed(ctx, user))
    }
}

/// The answer about an account an admin changed. The account's callers kept by this server
/// are forgotten at once: its next request must see the change, even before the change's
/// notice arrives (`auth::session_cache`).
fn changed(ctx: &Context<'_>, user: users::Model) -> AccountPayload {
    services(ctx).session_cache.forget_user(user.id);
    AccountPayload {
        account: Account(user),
    }
}
