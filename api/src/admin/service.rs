//! Account administration rules, shared by the GraphQL mutations and the command line.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::users;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, TransactionTrait,
};
use serde_json::json;

use crate::{
    auth::{
        audit::{self, AuditEvent},
        service::{Revoke, revoke_sessions},
    },
    enums::{AuditEventType, Role},
    error::AppError,
};

/// Who is acting: an admin's account, or the command line (no account).
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub user_id: Option<i32>,
    pub ip: Option<IpAddr>,
}

impl Actor {
    pub const COMMAND_LINE: Actor = Actor {
        user_id: None,
        ip: None,
    };

    fn event(&self, event: AuditEventType, subject: i32) -> AuditEvent {
        AuditEvent {
            event,
            actor: self.user_id,
            subject: Some(subject),
            ip: self.ip,
            details: json!({}),
        }
    }

    /// An admin may not lock themselves out (their role or their account).
    fn refuse_self(&self, user_id: i32, what: &str) -> Result<(), AppError> {
        if self.user_id == Some(user_id) {
            return Err(AppError::Conflict(format!(
                "you cannot {what} your own account; ask another admin"
            )));
        }
        Ok(())
    }
}

async fn find(conn: &impl ConnectionTrait, user_id: i32) -> Result<users::Model, AppError> {
    users::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)
}

/// The account with this email address (stored lower-cased).
pub async fn find_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<users::Model, AppError> {
    users::Entity::find()
        .filter(users::Column::Email.eq(email.trim().to_lowercase()))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)
}

/// Gives an account a role. Setting the role it has changes nothing and records nothing.
pub async fn set_role(
    conn: &DatabaseConnection,
    actor: Actor,
    user_id: i32,
    role: Role,
    now: DateTime<Utc>,
) -> Result<users::Model, AppError> {
    actor.refuse_self(user_id, "change the role of")?;
    let user = find(conn, user_id).await?;
    if user.role == role.as_db() {
        return Ok(user);
    }
    let txn = conn.begin().await?;
    let previous = user.role.clone();
    let mut active = user.into_active_model();
    active.role = Set(role.as_db().to_owned());
    active.updated_at = Set(now.into());
    let user = active.update(&txn).await?;
    let event = actor
        .event(AuditEventType::RoleChanged, user.id)
        .with_details(json!({ "from": previous, "to": user.role,
                              "via": if actor.user_id.is_some() { "api" } else { "command_line" } }));
    audit::record(&txn, event, now).await?;
    txn.commit().await?;
    Ok(user)
}

/// Deactivates (`active == false`) or reactivates an account. Deactivation ends every session
/// of the account in the same transaction, so its tokens stop working at once.
pub async fn set_active(
    conn: &DatabaseConnection,
    actor: Actor,
    user_id: i32,
    active: bool,
    now: DateTime<Utc>,
) -> Result<users::Model, AppError> {
    if !active {
        actor.refuse_self(user_id, "deactivate")?;
    }
    let user = find(conn, user_id).await?;
    if user.is_active == active {
        return Ok(user);
    }
    let txn = conn.begin().await?;
    let mut model = user.into_active_model();
    model.is_active = Set(active);
    model.updated_at = Set(now.into());
    let user = model.update(&txn).await?;
    let (event, details) = if active {
        (AuditEventType::AccountReactivated, json!({}))
    } else {
        let ended = revoke_sessions(&txn, user.id, Revoke::All).await?;
        (
            AuditEventType::AccountDeactivated,
            json!({ "sessions_ended": ended }),
        )
    };
    audit::record(&txn, actor.event(event, user.id).with_details(details), now).await?;
    txn.commit().await?;
    Ok(user)
}

/// Records an admin's read (a list of accounts, the audit log) with what it filtered on.
pub async fn record_read(
    conn: &impl ConnectionTrait,
    admin_id: i32,
    event: AuditEventType,
    filters: serde_json::Value,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let event = AuditEvent {
        event,
        actor: Some(admin_id),
        subject: None,
        ip,
        details: json!({ "filters": filters }),
    };
    audit::record(conn, event, now).await?;
    Ok(())
}
