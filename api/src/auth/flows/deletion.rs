//! Deleting an account, with the password re-entered.

use entity::users;
use sea_orm::{EntityTrait, TransactionTrait};
use serde_json::json;

use super::super::audit::{self, AuditEvent};
use crate::{context::Viewer, enums::AuditEventType, error::AppError};

use super::common::*;
use super::sign_in::reauthenticate;

/// Deletes the caller's account and, by cascade, everything of theirs.
pub async fn delete_account(
    env: &Env<'_>,
    viewer: &Viewer,
    password: &str,
) -> Result<(), AppError> {
    let user = &viewer.user;
    reauthenticate(env, viewer, password, "password").await?;
    let txn = env.db.begin().await?;
    users::Entity::delete_by_id(user.id).exec(&txn).await?;
    // The user row is gone, so the event keeps the number, not a reference.
    let event = AuditEvent {
        event: AuditEventType::AccountDeleted,
        actor: None,
        subject: None,
        ip: env.client.ip,
        details: json!({ "user_id": user.id }),
    };
    audit::record(&txn, event, env.now()).await?;
    txn.commit().await?;
    // The rows are gone; now their files. Whatever fails here, the sweeper finds unreferenced.
    if let Err(err) = env.services.storage.delete_user(user.id).await {
        tracing::error!(error = %err, "could not delete a deleted account's files; the sweeper will");
    }
    Ok(())
}
