//! Reminders: the `reminder_schedule` setting's occurrences in the user's time zone.

pub mod graphql;
pub mod schedule;
