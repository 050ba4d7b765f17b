//! Security events in `audit_events`: who, what, about whom, when, from which address.
//! Details never hold a secret (password, code, token) or health data.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::audit_events;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, prelude::IpNetwork,
};

use crate::enums::AuditEventType;

pub struct AuditEvent {
    pub event: AuditEventType,
    pub actor: Option<i32>,
    pub subject: Option<i32>,
    pub ip: Option<IpAddr>,
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// An event a person caused about their own account.
    pub fn own(event: AuditEventType, user_id: i32, ip: Option<IpAddr>) -> Self {
        Self {
            event,
            actor: Some(user_id),
            subject: Some(user_id),
            ip,
            details: serde_json::json!({}),
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    /// An event a staff member or clinician (`actor`) caused about someone else (`subject`).
    pub fn about(event: AuditEventType, actor: i32, subject: i32, ip: Option<IpAddr>) -> Self {
        Self {
            event,
            actor: Some(actor),
            subject: Some(subject),
            ip,
            details: serde_json::json!({}),
        }
    }
}

fn active_model(event: AuditEvent, now: DateTime<Utc>) -> audit_events::ActiveModel {
    audit_events::ActiveModel {
        actor_user_id: Set(event.actor),
        subject_user_id: Set(event.subject),
        event_type: Set(event.event.as_db().to_owned()),
        ip_address: Set(event.ip.map(IpNetwork::from)),
        details: Set(event.details),
        created_at: Set(now.into()),
        ..Default::default()
    }
}

pub async fn record(
    conn: &impl ConnectionTrait,
    event: AuditEvent,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    active_model(event, now).insert(conn).await?;
    Ok(())
}

/// Records many events in one statement (a clinician's page of patients).
pub async fn record_all(
    conn: &impl ConnectionTrait,
    events: Vec<AuditEvent>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    audit_events::Entity::insert_many(events.into_iter().map(|e| active_model(e, now)))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
