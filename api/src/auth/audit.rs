//! Security events in `audit_events`: who, what, about whom, when, from which address.
//! Details never hold a secret (password, code, token) or health data.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::audit_events;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, prelude::IpNetwork};

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
}

pub async fn record(
    conn: &impl ConnectionTrait,
    event: AuditEvent,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    audit_events::ActiveModel {
        actor_user_id: Set(event.actor),
        subject_user_id: Set(event.subject),
        event_type: Set(event.event.as_db().to_owned()),
        ip_address: Set(event.ip.map(IpNetwork::from)),
        details: Set(event.details),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}
