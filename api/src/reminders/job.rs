//! Sending reminders. The planner (`plan`) queues each reminder's next occurrence as one
//! `send_reminder` job due at that instant, under a key unique per user, reminder and
//! occurrence, so any number of replicas queue it once. When it comes due the job checks again
//! (the account is active, email reminders are on, the schedule still has this occurrence, it is
//! at most `REMINDER_GRACE_MINUTES` late) and queues the mail; otherwise it ends without one.

use chrono::{DateTime, Duration, Utc};
use entity::users;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, TransactionTrait};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{schedule::Schedule, unsubscribe};
use crate::{
    enums::JobKind,
    jobs::{self, JobError},
    mail::{self, OutgoingMail},
    services::AppServices,
    settings,
};

/// One occurrence to remind of.
#[derive(Debug, Serialize, Deserialize)]
pub struct Planned {
    pub user_id: i32,
    pub label: String,
    pub at: DateTime<Utc>,
}

/// 16 hex digits of the SHA-256 of `text`: a short stable name for a key.
fn short_hash(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..8])
}

/// A short stable name of a reminder (its label, time, days and zone): a changed reminder is
/// another reminder.
fn fingerprint(schedule: &Schedule, index: usize) -> String {
    let reminder = &schedule.reminders[index];
    short_hash(&format!(
        "{}\n{}\n{:?}\n{}",
        reminder.label,
        reminder.time,
        reminder.days,
        schedule.timezone.name()
    ))
}

/// Queues the next occurrence of every reminder of `schedule` (the earliest not more than
/// `grace` ago); one already queued or sent is not queued again.
pub async fn plan_user(
    conn: &impl ConnectionTrait,
    services: &AppServices,
    user_id: i32,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for (index, reminder) in schedule.reminders.iter().enumerate() {
        let Some(at) = reminder.next_after(schedule.timezone, now - services.reminder_grace) else {
            continue;
        };
        let planned = Planned {
            user_id,
            label: reminder.label.clone(),
            at,
        };
        let key = format!(
            "reminder:{user_id}:{}:{}",
            fingerprint(schedule, index),
            at.timestamp()
        );
        let payload = serde_json::to_value(&planned).map_err(|e| DbErr::Custom(e.to_string()))?;
        jobs::enqueue_at(
            conn,
            JobKind::SendReminder,
            payload,
            Some(key),
            services.job_max_attempts,
            at,
            now,
        )
        .await?;
    }
    Ok(())
}

crate::payload_job! {
    /// The `send_reminder` job: mails one reminder occurrence (a reminder that could not go is
    /// simply not sent: nothing to record).
    SendReminder: JobKind::SendReminder,
    run: run,
}

/// Sends the reminder of a due `send_reminder` job, if it still should go.
pub async fn run(
    db: &DatabaseConnection,
    services: &AppServices,
    payload: &serde_json::Value,
) -> Result<(), JobError> {
    let planned: Planned = serde_json::from_value(payload.clone())
        .map_err(|err| JobError::Permanent(format!("unreadable reminder job: {err}")))?;
    let now = services.clock.now();
    if now - planned.at > services.reminder_grace {
        return Err(JobError::Permanent(format!(
            "missed by more than {} minutes (the server was down); skipped",
            services.reminder_grace.num_minutes()
        )));
    }
    let Some((user, schedule)) = still_wanted(db, &planned).await.map_err(JobError::retry)? else {
        tracing::info!(
            user = planned.user_id,
            "reminder no longer wanted; not sent"
        );
        return Ok(());
    };
    let local = planned.at.with_timezone(&schedule.timezone);
    let txn = db.begin().await.map_err(JobError::retry)?;
    let link = unsubscribe::link(&txn, services, user.id)
        .await
        .map_err(JobError::retry)?;
    let mail = OutgoingMail {
        to: user.email.clone(),
        subject: format!("Reminder: {}", planned.label),
        body: format!(
            "{}\n\nYour reminder for {} ({}).\n\n\
             You get this mail because email reminders are on in your Echo Health settings.\n\
             To turn them off: {link}\n",
            planned.label,
            local.format("%A %-d %B, %H:%M"),
            schedule.timezone.name(),
        ),
        unsubscribe: Some(link),
    };
    // Worth sending until the grace has run out; a job run twice queues one mail.
    let valid_for = (planned.at + services.reminder_grace - now).max(Duration::minutes(1));
    let key = format!(
        "reminder-mail:{}:{}:{}",
        user.id,
        planned.at.timestamp(),
        short_hash(&planned.label)
    );
    mail::job::queue(&txn, services, &mail, valid_for, Some(key))
        .await
        .map_err(JobError::retry)?;
    txn.commit().await.map_err(JobError::retry)?;
    services.wake_jobs();
    Ok(())
}

/// The account and its schedule, when the account is active, email reminders are on and the
/// schedule still has this occurrence.
async fn still_wanted(
    db: &DatabaseConnection,
    planned: &Planned,
) -> Result<Option<(users::Model, Schedule)>, DbErr> {
    let Some(user) = users::Entity::find_by_id(planned.user_id)
        .one(db)
        .await?
        .filter(|u| u.is_active)
    else {
        return Ok(None);
    };
    let email_on = settings::service::get(db, planned.user_id, "notifications_email")
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .is_some_and(|s| s.value == "true");
    if !email_on {
        return Ok(None);
    }
    let Some(stored) = settings::service::get(db, planned.user_id, "reminder_schedule")
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?
    else {
        return Ok(None);
    };
    let Ok(schedule) = Schedule::parse(&stored.value) else {
        return Ok(None);
    };
    let just_before = planned.at - Duration::seconds(1);
    let kept = schedule.reminders.iter().any(|r| {
        r.label == planned.label && r.next_after(schedule.timezone, just_before) == Some(planned.at)
    });
    Ok(kept.then_some((user, schedule)))
}
