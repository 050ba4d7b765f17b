//! The reminder schedule (`reminder_schedule` setting): parsed and checked against the IANA
//! time-zone database, and each reminder's occurrences computed in the user's zone.
//!
//! Daylight-saving changes: a time that does not exist on a spring-forward day (02:30 in
//! Europe/Berlin on the last Sunday of March) fires once, at the first valid instant after it
//! (03:00 local, the moment the clocks jump); a time that exists twice on a fall-back day
//! fires once, at its first (daylight-saving) instance. No day fires twice; no scheduled day is
//! skipped, except one the zone's calendar does not have (Pacific/Apia skipped 2011-12-30) or a
//! time after which the zone skips the rest of the day.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use serde::Deserialize;

/// Reminders one user may keep.
pub const MAX_REMINDERS: usize = 20;
/// The day names of the stored form, Monday first.
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A checked schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub timezone: Tz,
    pub reminders: Vec<Reminder>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub label: String,
    pub time: NaiveTime,
    /// Distinct, Monday first.
    pub days: Vec<Weekday>,
}

/// One planned reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The reminder's index in the schedule.
    pub index: usize,
    pub label: String,
    pub at: DateTime<Utc>,
    /// The wall-clock time in the schedule's zone.
    pub local: NaiveDateTime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    timezone: String,
    reminders: Vec<StoredReminder>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredReminder {
    label: String,
    time: String,
    days: Vec<String>,
}

impl Schedule {
    /// Parses the setting's JSON; the error says what is wrong, for the user.
    pub fn parse(value: &str) -> Result<Self, String> {
        let stored: Stored =
            serde_json::from_str(value).map_err(|e| format!("not the documented shape ({e})"))?;
        let timezone: Tz = stored.timezone.parse().map_err(|_| {
            format!(
                "timezone `{}` is not in the IANA time-zone database (for example Europe/Berlin)",
                stored.timezone.chars().take(64).collect::<String>()
            )
        })?;
        if stored.reminders.len() > MAX_REMINDERS {
            return Err(format!("at most {MAX_REMINDERS} reminders"));
        }
        let reminders = stored
            .reminders
            .into_iter()
            .map(Reminder::parse)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            timezone,
            reminders,
        })
    }

    /// The next occurrences of every reminder strictly after `after`, soonest first (ties in
    /// schedule order), at most `count`.
    pub fn upcoming(&self, after: DateTime<Utc>, count: usize) -> Vec<Occurrence> {
        let mut next: Vec<Option<DateTime<Utc>>> = self
            .reminders
            .iter()
            .map(|r| r.next_after(self.timezone, after))
            .collect();
        let mut out = Vec::new();
        while out.len() < count {
            let Some((index, at)) = next
                .iter()
                .enumerate()
                .filter_map(|(i, at)| at.map(|at| (i, at)))
                .min_by_key(|(i, at)| (*at, *i))
            else {
                break;
            };
            let reminder = &self.reminders[index];
            out.push(Occurrence {
                index,
                label: reminder.label.clone(),
                at,
                local: at.with_timezone(&self.timezone).naive_local(),
            });
            next[index] = reminder.next_after(self.timezone, at);
        }
        out
    }
}

impl Reminder {
    fn parse(stored: StoredReminder) -> Result<Self, String> {
        let label = stored.label.trim();
        if label.is_empty() || label.chars().count() > 60 || crate::text::has_hidden(label) {
            return Err("a reminder label has 1 to 60 characters".into());
        }
        let time = NaiveTime::parse_from_str(&stored.time, "%H:%M")
            .ok()
            .filter(|_| stored.time.len() == 5)
            .ok_or_else(|| format!("`{}` is not a time HH:MM", stored.time))?;
        let mut days = Vec::new();
        for day in &stored.days {
            let Some(index) = DAYS.iter().position(|d| d == day) else {
                return Err("days are distinct values of mon, tue, wed, thu, fri, sat, sun".into());
            };
            let weekday = Weekday::try_from(u8::try_from(index).unwrap_or(0))
                .map_err(|_| "not a weekday".to_owned())?;
            if days.contains(&weekday) {
                return Err("days are distinct values of mon, tue, wed, thu, fri, sat, sun".into());
            }
            days.push(weekday);
        }
        if days.is_empty() {
            return Err("days are distinct values of mon, tue, wed, thu, fri, sat, sun".into());
        }
        days.sort_by_key(Weekday::num_days_from_monday);
        Ok(Self {
            label: label.to_owned(),
            time,
            days,
        })
    }

    /// The first occurrence strictly after `after`.
    pub fn next_after(&self, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = after.with_timezone(&zone).date_naive();
        // From the day before (an occurrence late on a day can map past midnight UTC) through
        // fifteen days on: every weekday comes twice, so a day the zone's calendar skips
        // (Pacific/Apia's 2011-12-30, a Friday) cannot leave a once-a-week reminder with none.
        (-1..=15)
            .filter_map(|offset| today.checked_add_signed(Duration::days(offset)))
            .filter(|date| self.days.contains(&date.weekday()))
            .filter_map(|date| occurrence_on(zone, date, self.time))
            .find(|at| *at > after)
    }
}

/// The instant `time` on `date` in `zone`: the first instance of a repeated time, the first
/// valid instant after a skipped one; none when the rest of that day does not exist there.
pub fn occurrence_on(zone: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let mut local = date.and_time(time);
    while local.date() == date {
        match zone.from_local_datetime(&local) {
            LocalResult::Single(at) => return Some(at.with_timezone(&Utc)),
            LocalResult::Ambiguous(first, _) => return Some(first.with_timezone(&Utc)),
            LocalResult::None => local += Duration::minutes(1),
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn reminder(time: &str, days: &[Weekday]) -> Reminder {
        Reminder {
            label: "Blood pressure".into(),
            time: NaiveTime::parse_from_str(time, "%H:%M").unwrap(),
            days: days.to_vec(),
        }
    }

    #[test]
    fn the_zone_is_checked_against_the_iana_database() {
        let ok = r#"{"timezone":"Europe/Berlin","reminders":[{"label":"BP","time":"08:30","days":["mon","thu"]}]}"#;
        let schedule = Schedule::parse(ok).unwrap();
        assert_eq!(schedule.timezone, chrono_tz::Europe::Berlin);
        assert_eq!(schedule.reminders[0].days, [Weekday::Mon, Weekday::Thu]);
        let nowhere = ok.replace("Europe/Berlin", "Europe/Nowhere");
        assert!(Schedule::parse(&nowhere).unwrap_err().contains("IANA"));
        assert!(Schedule::parse(&ok.replace("08:30", "8:30")).is_err());
        assert!(Schedule::parse(&ok.replace("\"thu\"", "\"mon\"")).is_err());
    }

    #[test]
    fn spring_forward_fires_at_the_first_valid_instant_and_fall_back_once() {
        let berlin = chrono_tz::Europe::Berlin;
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist.
        let gap = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let at = occurrence_on(berlin, gap, NaiveTime::from_hms_opt(2, 30, 0).unwrap());
        assert_eq!(at, Some(utc("2026-03-29T01:00:00Z")));
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 exists twice, fires at the first.
        let fold = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        let at = occurrence_on(berlin, fold, NaiveTime::from_hms_opt(2, 30, 0).unwrap());
        assert_eq!(at, Some(utc("2026-10-25T00:30:00Z")));
        // New York, 2026-03-08 02:30 (gap) and 2026-11-01 01:30 (fold).
        let new_york = chrono_tz::America::New_York;
        let at = occurrence_on(
            new_york,
            NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
            NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
        );
        assert_eq!(at, Some(utc("2026-03-08T07:00:00Z")));
        let at = occurrence_on(
            new_york,
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            NaiveTime::from_hms_opt(1, 30, 0).unwrap(),
        );
        assert_eq!(at, Some(utc("2026-11-01T05:30:00Z")));
        // Apia has no 2011-12-30: a Friday reminder skips it.
        let apia = chrono_tz::Pacific::Apia;
        let lost = NaiveDate::from_ymd_opt(2011, 12, 30).unwrap();
        assert_eq!(
            occurrence_on(apia, lost, NaiveTime::from_hms_opt(8, 30, 0).unwrap()),
            None
        );

        // Sunday 02:30 every week: the fall-back Sunday fires once, the next a week later.
        let sunday = reminder("02:30", &[Weekday::Sun]);
        let first = sunday
            .next_after(berlin, utc("2026-10-24T12:00:00Z"))
            .unwrap();
        assert_eq!(first, utc("2026-10-25T00:30:00Z"));
        let second = sunday.next_after(berlin, first).unwrap();
        assert_eq!(second, utc("2026-11-01T01:30:00Z"));
    }

    #[test]
    fn upcoming_merges_reminders_soonest_first() {
        let schedule = Schedule {
            timezone: chrono_tz::Europe::Berlin,
            reminders: vec![
                reminder("08:30", &[Weekday::Mon, Weekday::Thu]),
                reminder("20:00", &[Weekday::Mon]),
            ],
        };
        // Monday 2026-12-07 07:00 UTC = 08:00 in Berlin.
        let next = schedule.upcoming(utc("2026-12-07T07:00:00Z"), 3);
        let at: Vec<_> = next.iter().map(|o| (o.index, o.at)).collect();
        assert_eq!(
            at,
            [
                (0, utc("2026-12-07T07:30:00Z")),
                (1, utc("2026-12-07T19:00:00Z")),
                (0, utc("2026-12-10T07:30:00Z")),
            ]
        );
        assert_eq!(next[0].local.to_string(), "2026-12-07 08:30:00");
    }

    fn zone() -> impl Strategy<Value = Tz> {
        proptest::sample::select(vec![
            chrono_tz::Europe::Berlin,
            chrono_tz::America::New_York,
            chrono_tz::Australia::Lord_Howe, // a half-hour daylight-saving shift
            chrono_tz::Pacific::Apia,        // skipped 2011-12-30 whole
            chrono_tz::UTC,
        ])
    }

    fn any_reminder() -> impl Strategy<Value = Reminder> {
        (
            0u32..24,
            0u32..60,
            proptest::sample::subsequence(
                vec![
                    Weekday::Mon,
                    Weekday::Tue,
                    Weekday::Wed,
                    Weekday::Thu,
                    Weekday::Fri,
                    Weekday::Sat,
                    Weekday::Sun,
                ],
                1..=7,
            ),
        )
            .prop_map(|(hour, minute, mut days)| {
                days.sort_by_key(Weekday::num_days_from_monday);
                Reminder {
                    label: "r".into(),
                    time: NaiveTime::from_hms_opt(hour, minute, 0).unwrap(),
                    days,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// Occurrence after occurrence: never in the past, never twice on a day, never a
        /// scheduled day skipped.
        #[test]
        fn occurrences_are_never_past_never_twice_never_skipped(
            zone in zone(),
            reminder in any_reminder(),
            // 2011-06 to 2031: across Apia's lost day and many DST changes.
            start in 1_306_886_400i64..1_956_528_000i64,
        ) {
            let after = Utc.timestamp_opt(start, 0).unwrap();
            let first = reminder.next_after(zone, after).unwrap();
            let second = reminder.next_after(zone, first).unwrap();
            prop_assert!(first > after && second > first);
            let day = |at: DateTime<Utc>| at.with_timezone(&zone).date_naive();
            prop_assert!(day(second) > day(first), "twice on {}", day(first));
            // A week apart at most, two when the zone skipped the scheduled day (checked below).
            prop_assert!(second - first <= Duration::days(15));
            // Every scheduled day between them that the calendar has (not one the zone skipped)
            // would have been found: there is none.
            let mut date = day(first).succ_opt().unwrap();
            while date < day(second) {
                if reminder.days.contains(&date.weekday()) {
                    let at = occurrence_on(zone, date, reminder.time);
                    prop_assert!(at.is_none(), "skipped {} ({:?})", date, at);
                }
                date = date.succ_opt().unwrap();
            }
            // Each fires on a scheduled day, at the time or (after a gap) later that day.
            for at in [first, second] {
                let local = at.with_timezone(&zone).naive_local();
                prop_assert!(reminder.days.contains(&local.weekday()));
                prop_assert!(local.time() >= reminder.time);
            }
        }
    }
}
