//! What an admin sees: account metadata and the audit log, never health data.

use async_graphql::{Context, ID, Object};
use entity::{audit_events, users};

use crate::{
    auth::loaders::SessionsByUserId,
    batching::load_one,
    enums::{AuditEventType, Role},
    error::AppError,
    pagination::{RootRelation, SortKey, count_children},
    scalars,
    users::{loaders::LastActiveByUserId, person::Person},
};

/// Every account, newest first.
pub struct AllUsers;

impl RootRelation for AllUsers {
    type Entity = users::Entity;
    type Model = users::Model;
    const SORT: users::Column = users::Column::CreatedAt;
    const ID: users::Column = users::Column::Id;
    const NEWEST_FIRST: bool = true;
    fn sort_key(row: &users::Model) -> SortKey {
        (row.created_at.to_utc(), i64::from(row.id))
    }
}

/// The whole audit log, newest first.
pub struct AllAuditEvents;

impl RootRelation for AllAuditEvents {
    type Entity = audit_events::Entity;
    type Model = audit_events::Model;
    const SORT: audit_events::Column = audit_events::Column::CreatedAt;
    const ID: audit_events::Column = audit_events::Column::Id;
    const NEWEST_FIRST: bool = true;
    fn sort_key(row: &audit_events::Model) -> SortKey {
        (row.created_at.to_utc(), row.id)
    }
}

/// An account as staff see it: who, which role, whether active, how it is used.
pub struct Account(pub users::Model);

/// An account as an admin sees it: identity, role, state and use; never health data.
#[Object]
impl Account {
    #[graphql(flatten)]
    async fn person(&self) -> Person<'_> {
        Person::of(&self.0)
    }
    /// USER, or the staff role an admin gave.
    async fn role(&self) -> Result<Role, AppError> {
        Role::from_db(&self.0.role)
    }
    /// False once deactivated: the account cannot sign in.
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    /// Whether the email address was confirmed with a one-time code.
    async fn is_verified(&self) -> bool {
        self.0.is_verified
    }
    /// When the account was registered.
    async fn created_at(&self) -> scalars::DateTime {
        self.0.created_at.into()
    }
    /// When the account's profile last changed.
    async fn updated_at(&self) -> scalars::DateTime {
        self.0.updated_at.into()
    }
    /// The latest activity on any device.
    async fn last_active_at(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<scalars::DateTime>, AppError> {
        Ok(load_one::<LastActiveByUserId>(ctx, self.0.id)
            .await?
            .map(Into::into))
    }
    /// Devices signed in now.
    async fn active_session_count(&self, ctx: &Context<'_>) -> Result<i64, AppError> {
        count_children::<SessionsByUserId>(ctx, self.0.id).await
    }
}

/// One entry of the audit log. `details` never holds a secret or health data.
pub struct AuditLogEntry(pub audit_events::Model);

/// One entry of the audit log: who did what, about whom, when and from where. `details` never holds
/// a secret or health data.
#[Object(name = "AuditEvent")]
impl AuditLogEntry {
    /// The entry's id (audit ids are 64-bit: compare them as strings).
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }
    /// What happened.
    async fn event_type(&self) -> Result<AuditEventType, AppError> {
        AuditEventType::from_db(&self.0.event_type)
    }
    /// The account that acted (null: the command line, or an account since deleted).
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_user_id.map(|id| ID::from(id.to_string()))
    }
    /// The account acted upon.
    async fn subject_id(&self) -> Option<ID> {
        self.0.subject_user_id.map(|id| ID::from(id.to_string()))
    }
    /// The client address the request came from, when known.
    async fn ip_address(&self) -> Option<String> {
        self.0.ip_address.map(|ip| ip.ip().to_string())
    }
    /// What happened, as recorded (ids, field names, counts).
    async fn details(&self) -> scalars::Json<&serde_json::Value> {
        scalars::Json(&self.0.details)
    }
    /// When it happened.
    async fn created_at(&self) -> scalars::DateTime {
        self.0.created_at.into()
    }
}

/// Admin lists are small and rare. (`plain`: resolved by async-graphql.)
impl crate::plain::PlainFields for Account {}

/// Admin lists are small and rare. (`plain`: resolved by async-graphql.)
impl crate::plain::PlainFields for AuditLogEntry {}
