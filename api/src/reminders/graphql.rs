//! `me.upcomingReminders`: the next occurrences of the caller's reminder schedule.

use async_graphql::SimpleObject;

use super::schedule::{Occurrence, Schedule};
use crate::{error::AppError, scalars};

/// Most occurrences one request lists.
pub const MAX_UPCOMING: i32 = 50;

/// One planned reminder.
#[derive(SimpleObject)]
pub struct ReminderOccurrence {
    /// The reminder's label, as set.
    pub label: String,
    /// When it fires.
    pub at: scalars::DateTime,
    /// The wall-clock time it fires at in `timezone`, `YYYY-MM-DDTHH:MM`.
    pub local_time: String,
    /// The schedule's IANA time zone.
    pub timezone: String,
}

/// The next `first` occurrences of the stored schedule `value` after `now`. A schedule stored
/// before zones were checked against the IANA database, with a zone it does not know, plans
/// nothing until it is set again.
pub fn upcoming(
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
    first: i32,
) -> Result<Vec<ReminderOccurrence>, AppError> {
    if !(1..=MAX_UPCOMING).contains(&first) {
        return Err(AppError::bad_input(
            "first",
            format!("first is 1 to {MAX_UPCOMING}"),
        ));
    }
    let Ok(schedule) = Schedule::parse(value) else {
        return Ok(Vec::new());
    };
    let zone = schedule.timezone.name().to_owned();
    Ok(schedule
        .upcoming(now, usize::try_from(first).unwrap_or(0))
        .into_iter()
        .map(
            |Occurrence {
                 label, at, local, ..
             }| ReminderOccurrence {
                label,
                at: scalars::DateTime(at),
                local_time: local.format("%Y-%m-%dT%H:%M").to_string(),
                timezone: zone.clone(),
            },
        )
        .collect())
}
