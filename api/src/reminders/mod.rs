//! Reminders: the `reminder_schedule` setting's occurrences in the user's time zone
//! (`schedule`), listed by `me.upcomingReminders` (`graphql`), planned on the job queue
//! (`plan`) and mailed (`job`) with a one-click unsubscribe link (`unsubscribe`).

pub mod graphql;
pub mod job;
pub mod plan;
pub mod schedule;
pub mod unsubscribe;
