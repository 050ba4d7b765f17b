//! The reminder planner: every `REMINDER_PLAN_INTERVAL_MS`, queues the next occurrence of each
//! reminder of every active account with email reminders on (`job::plan_user`). It runs on
//! each replica that runs job workers; the jobs' unique keys make that safe. After downtime
//! it plans from `REMINDER_GRACE_MINUTES` ago, so a slightly late occurrence is still sent
//! and older ones are not.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use tokio::{sync::watch, task::JoinHandle};

use super::{job::plan_user, schedule::Schedule};
use crate::{
    error::error_chain,
    services::{AppServices, SharedServices},
};

/// Plans the reminders of every account, or of `only` this one, once.
pub async fn plan(
    db: &DatabaseConnection,
    services: &AppServices,
    only: Option<i32>,
) -> Result<(), DbErr> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT s.user_id, s.setting_value FROM app_settings s \
             JOIN users u ON u.id = s.user_id AND u.is_active \
             WHERE s.setting_key = 'reminder_schedule' AND ($1::int IS NULL OR s.user_id = $1) \
               AND coalesce((SELECT e.setting_value FROM app_settings e \
                             WHERE e.user_id = s.user_id AND e.setting_key = 'notifications_email'), 'true') = 'true'",
            [only.into()],
        ))
        .await?;
    let now = services.clock.now();
    for row in rows {
        let user_id: i32 = row.try_get("", "user_id")?;
        let value: String = row.try_get("", "setting_value")?;
        // A schedule stored before zones were checked may not parse: it plans nothing.
        if let Ok(schedule) = Schedule::parse(&value) {
            plan_user(db, services, user_id, &schedule, now).await?;
        }
    }
    Ok(())
}

/// After `user_id` changed `key`: plans their reminders at once when it matters to them (the
/// periodic planner would, a little later). A failure is logged; the planner retries.
pub async fn after_setting_changed(
    db: &DatabaseConnection,
    services: &AppServices,
    user_id: i32,
    key: &str,
) {
    if !matches!(key, "reminder_schedule" | "notifications_email") {
        return;
    }
    match plan(db, services, Some(user_id)).await {
        Ok(()) => services.wake_jobs(),
        Err(err) => tracing::error!(error = %error_chain(&err), "could not plan reminders"),
    }
}

/// Runs the planner until `shutdown`.
pub fn spawn(
    db: DatabaseConnection,
    services: SharedServices,
    interval: std::time::Duration,
    shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    crate::jobs::every(interval, shutdown, move || {
        let (db, services) = (db.clone(), services.clone());
        async move {
            if let Err(err) = plan(&db, &services, None).await {
                tracing::error!(error = %error_chain(&err), "could not plan reminders");
            }
        }
    })
}
