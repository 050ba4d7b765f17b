//! What the account flows share: the request's environment, the device a sign-in comes from,
//! the flows' answers, and looking up an account.

use chrono::{DateTime, Duration, Utc};
use entity::{user_sessions, users};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use crate::{
    auth::{
        audit::{self, AuditEvent},
        token,
    },
    context::ClientInfo,
    enums::{AuditEventType, Gender},
    error::AppError,
    mail::{self, OutgoingMail},
    services::AppServices,
};

/// How long a security notice (password changed, address taken) is still worth delivering.
pub(super) const NOTICE_TTL: Duration = Duration::days(7);

pub const DEVICE_INFO_MAX_BYTES: usize = 1024;

const USER_AGENT_MAX_CHARS: usize = 256;

/// What an account flow runs with.
pub struct Env<'a> {
    pub db: &'a DatabaseConnection,
    pub services: &'a AppServices,
    pub client: &'a ClientInfo,
}

impl Env<'_> {
    pub(super) fn now(&self) -> DateTime<Utc> {
        self.services.clock.now()
    }

    /// Queues a mail on `conn`: the flow's transaction, so the mail exists exactly when what it
    /// announces does. Wake the job runner after the commit.
    pub(super) async fn queue_mail(
        &self,
        conn: &impl ConnectionTrait,
        to: &str,
        subject: &str,
        body: String,
        valid_for: Duration,
    ) -> Result<(), AppError> {
        let mail = OutgoingMail {
            to: to.to_owned(),
            subject: subject.to_owned(),
            body,
            unsubscribe: None,
        };
        mail::job::queue(conn, self.services, &mail, valid_for, None).await?;
        Ok(())
    }

    /// Queues a notice outside any transaction and wakes the job runner.
    pub(super) async fn notify(
        &self,
        to: &str,
        subject: &str,
        body: String,
    ) -> Result<(), AppError> {
        self.queue_mail(self.db, to, subject, body, NOTICE_TTL)
            .await?;
        self.services.wake_jobs();
        Ok(())
    }

    pub(super) async fn audit(&self, event: AuditEvent) -> Result<(), AppError> {
        audit::record(self.db, event, self.now()).await?;
        Ok(())
    }

    pub(super) fn own_event(&self, event: AuditEventType, user_id: i32) -> AuditEvent {
        AuditEvent::own(event, user_id, self.client.ip)
    }
}

/// The device a sign-in comes from.
pub struct Device {
    /// What the client says about itself: a JSON object of at most 1 KiB.
    pub info: Option<serde_json::Value>,
    /// Longer-lived session (30 days, 7 days idle by default).
    pub remember: bool,
}

pub struct SignedIn {
    pub token: String,
    pub user: users::Model,
    pub session: user_sessions::Model,
}

pub struct CodeSent {
    pub expires_in: Duration,
    pub resend_after: Duration,
}

pub struct Registration {
    pub email: String,
    pub code: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<chrono::NaiveDate>,
    pub gender: Option<Gender>,
    pub phone_number: Option<String>,
}

/// Buckets and logs name an address by its hash, never in clear.
pub(super) fn address_key(email: &str) -> String {
    token::hash(email)
}

pub(super) fn invalid_code() -> AppError {
    AppError::bad_input(
        "code",
        "the code is wrong or has expired; ask for a new one",
    )
}

/// An address taken between code and use answers like any code that does not fit, so the
/// answer does not tell that the address has an account.
pub(super) fn taken_as_invalid_code(err: sea_orm::DbErr) -> AppError {
    match AppError::from(err) {
        AppError::Conflict(_) => invalid_code(),
        other => other,
    }
}

/// Checks the device input and adds what the server knows (user agent).
pub(super) fn device_info(
    device: &Device,
    client: &ClientInfo,
) -> Result<serde_json::Value, AppError> {
    let mut info = match &device.info {
        None | Some(serde_json::Value::Null) => serde_json::Map::new(),
        Some(serde_json::Value::Object(map)) => map.clone(),
        Some(_) => return Err(AppError::bad_input("device.info", "must be a JSON object")),
    };
    let size = serde_json::to_vec(&info)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > DEVICE_INFO_MAX_BYTES {
        return Err(AppError::bad_input(
            "device.info",
            format!("must be at most {DEVICE_INFO_MAX_BYTES} bytes of JSON"),
        ));
    }
    if let Some(agent) = &client.user_agent {
        info.insert(
            "userAgent".into(),
            json!(agent.chars().take(USER_AGENT_MAX_CHARS).collect::<String>()),
        );
    }
    Ok(serde_json::Value::Object(info))
}

pub(super) async fn find_user(
    env: &Env<'_>,
    email: &str,
) -> Result<Option<users::Model>, AppError> {
    Ok(users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(env.db)
        .await?)
}
