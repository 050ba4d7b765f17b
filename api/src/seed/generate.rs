//! The seeded people and their data. Each user's rows come from a generator seeded with the run's
//! seed and the user's number, so the data does not depend on batch sizes; ids come from
//! counters advanced in user order, and every time is measured from a fixed date. The same seed
//! gives the same rows, byte for byte.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::{RngExt, SeedableRng, rngs::Xoshiro256PlusPlus, seq::IndexedRandom};
use serde_json::json;

use super::{
    batch::{Batch, Counters},
    csv::Field,
    vocabulary::{
        ANSWERS, FIRST_NAMES, GENDERS, LAST_NAMES, QUESTIONS, REPORT_TYPES, SESSION_TYPES,
    },
};
use crate::{
    assessments::{
        engine::{
            blood_pressure::{BloodPressureInput, BloodPressureReading},
            bmi::BmiInput,
            gad7::Gad7Input,
            phq9::Phq9Input,
        },
        input::CreateHealthAssessmentInput,
    },
    enums::Role,
};

/// Every `CLINICIAN_EVERY`-th user is a clinician; the users just below them are their
/// practice, most of whom have granted them access.
pub const CLINICIAN_EVERY: i32 = 100;
/// The share of a practice who granted their clinician access.
const GRANT_SHARE: f64 = 0.7;
/// The seeded accounts' email addresses: `user<N>@` this domain (user 1 is the admin).
pub const EMAIL_DOMAIN: &str = "seed.echo-health.test";

/// The role of seeded user `id` among `users`.
pub fn role(id: i32) -> Role {
    if id == 1 {
        Role::Admin
    } else if id % CLINICIAN_EVERY == 0 {
        Role::Clinician
    } else {
        Role::User
    }
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn hex(rng: &mut Xoshiro256PlusPlus, bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

fn pick<'a>(rng: &mut Xoshiro256PlusPlus, items: &[&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or_default()
}

fn random_assessment(rng: &mut Xoshiro256PlusPlus) -> CreateHealthAssessmentInput {
    match rng.random_range(0..4) {
        0 => CreateHealthAssessmentInput::Bmi(BmiInput {
            height_cm: f64::from(rng.random_range(150..196)),
            weight_kg: f64::from(rng.random_range(45..121)),
        }),
        1 => CreateHealthAssessmentInput::BloodPressure(BloodPressureInput {
            readings: (0..rng.random_range(1..4))
                .map(|_| {
                    let systolic = rng.random_range(100..171);
                    BloodPressureReading {
                        systolic: f64::from(systolic),
                        // Always below the systolic pressure, as the instrument requires.
                        diastolic: f64::from(rng.random_range(60..systolic - 15)),
                    }
                })
                .collect(),
        }),
        // Mostly low answers, as in the general population.
        2 => CreateHealthAssessmentInput::Depression(Phq9Input {
            items: (0..9).map(|_| rng.random_range(0..4) / 2).collect(),
            difficulty: None,
        }),
        _ => CreateHealthAssessmentInput::Anxiety(Gad7Input {
            items: (0..7).map(|_| rng.random_range(0..4) / 2).collect(),
        }),
    }
}

/// Appends user `id` (of `total`) and everything they have to `batch`.
pub fn user(
    batch: &mut Batch,
    ids: &mut Counters,
    seed: u64,
    id: i32,
    total: i32,
    password_hash: &str,
) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(
        seed ^ u64::from(id.unsigned_abs()).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    let created = base()
        + Duration::days(rng.random_range(0..300))
        + Duration::seconds(rng.random_range(0..86_400));
    let birth = NaiveDate::from_ymd_opt(1945, 1, 1).unwrap_or_default()
        + Duration::days(rng.random_range(0..365 * 60));
    let phone = format!("+4420{:08}", rng.random_range(0..100_000_000));
    let role = role(id);
    batch.users.row(&[
        Field::Int(id.into()),
        Field::Text(&format!("user{id}@{EMAIL_DOMAIN}")),
        Field::Text(password_hash),
        Field::Text(pick(&mut rng, FIRST_NAMES)),
        Field::Text(pick(&mut rng, LAST_NAMES)),
        Field::Date(birth),
        Field::Text(pick(&mut rng, GENDERS)),
        if rng.random_bool(0.6) {
            Field::Text(&phone)
        } else {
            Field::Null
        },
        Field::Bool(true),
        Field::Bool(true),
        Field::Time(created),
        Field::Time(created),
        Field::Text(role.as_db()),
    ]);

    let mut at = created;
    for _ in 0..rng.random_range(3..9) {
        at += Duration::hours(rng.random_range(1..24 * 20));
        let Ok(evaluated) = random_assessment(&mut rng).evaluate() else {
            continue;
        };
        ids.assessments += 1;
        let outcome = &evaluated.outcome;
        batch.assessments.row(&[
            Field::Int(ids.assessments),
            Field::Int(id.into()),
            Field::Text(evaluated.assessment_type.as_db()),
            Field::Int(outcome.score.into()),
            Field::Text(outcome.level.as_db()),
            Field::Json(&evaluated.data),
            Field::TextArray(&outcome.recommendations),
            Field::TextArray(&outcome.warning_signs),
            Field::TextArray(&outcome.next_steps),
            Field::Bool(false),
            Field::Time(at),
        ]);
    }

    let mut at = created;
    for n in 0..rng.random_range(0..4) {
        at += Duration::days(rng.random_range(1..60));
        ids.reports += 1;
        let storage_id = format!(
            "{}-{}-{}-{}-{}",
            hex(&mut rng, 4),
            hex(&mut rng, 2),
            hex(&mut rng, 2),
            hex(&mut rng, 2),
            hex(&mut rng, 6)
        );
        let result = json!({ "parserVersion": "seed", "analytes": [], "counts": { "total": 0 } });
        batch.reports.row(&[
            Field::Int(ids.reports),
            Field::Int(id.into()),
            Field::Text(pick(&mut rng, REPORT_TYPES)),
            Field::Text(&format!("report-{}.pdf", n + 1)),
            Field::Text(&format!("reports/{id}/{storage_id}")),
            Field::Int(rng.random_range(20_000..2_000_000)),
            Field::Text("application/pdf"),
            Field::Time(at),
            Field::Text("completed"),
            Field::Json(&result),
            Field::Text("No values outside their reference ranges were found."),
            Field::Bool(false),
            Field::Text(&format!("Check-up {}", n + 1)),
            Field::Text(&hex(&mut rng, 32)),
            Field::Time(at + Duration::minutes(1)),
        ]);
    }

    let sessions = rng.random_range(3..8);
    let mut at = created;
    for s in 0..sessions {
        at += Duration::days(rng.random_range(1..30));
        let messages: i64 = rng.random_range(10..31);
        let last = s + 1 == sessions;
        ids.chat_sessions += 1;
        let session_id = ids.chat_sessions;
        let ended = at + Duration::minutes(messages);
        batch.chat_sessions.row(&[
            Field::Int(session_id),
            Field::Int(id.into()),
            Field::Text(pick(&mut rng, SESSION_TYPES)),
            Field::Bool(last),
            Field::Time(at),
            if last {
                Field::Null
            } else {
                Field::Time(ended)
            },
            Field::Int(messages),
        ]);
        let empty = json!({});
        for m in 0..messages {
            ids.chat_messages += 1;
            let (sender, content) = if m % 2 == 0 {
                ("user", pick(&mut rng, QUESTIONS))
            } else {
                ("assistant", pick(&mut rng, ANSWERS))
            };
            batch.chat_messages.row(&[
                Field::Int(ids.chat_messages),
                Field::Int(session_id),
                Field::Text(sender),
                Field::Text(content),
                Field::Text("text"),
                Field::Json(&empty),
                Field::Time(at + Duration::seconds(m * 30)),
            ]);
        }
    }

    for (key, value) in [
        ("theme", pick(&mut rng, &["light", "dark", "system"])),
        ("units", pick(&mut rng, &["metric", "imperial"])),
        ("notifications_email", pick(&mut rng, &["true", "false"])),
    ] {
        ids.settings += 1;
        batch.settings.row(&[
            Field::Int(ids.settings),
            Field::Int(id.into()),
            Field::Text(key),
            Field::Text(value),
            Field::Text(if key == "notifications_email" {
                "boolean"
            } else {
                "string"
            }),
            Field::Time(created),
            Field::Time(created),
        ]);
    }

    for d in 0..rng.random_range(1..3) {
        ids.device_sessions += 1;
        let opened = created + Duration::days(d * 7);
        let device = json!({ "name": pick(&mut rng, &["iPhone", "Pixel", "laptop", "iPad"]),
                             "platform": pick(&mut rng, &["ios", "android", "web"]) });
        batch.device_sessions.row(&[
            Field::Int(ids.device_sessions),
            Field::Int(id.into()),
            Field::Text(&hex(&mut rng, 32)),
            Field::Json(&device),
            Field::Time(opened + Duration::hours(12)),
            Field::Bool(false),
            Field::Time(opened),
            Field::Time(opened + Duration::minutes(rng.random_range(1..120))),
            Field::Int(1800),
        ]);
    }

    // Users in the block below a clinician form that clinician's practice.
    let clinician = (id / CLINICIAN_EVERY + 1) * CLINICIAN_EVERY;
    if role == Role::User && clinician <= total && rng.random_bool(GRANT_SHARE) {
        ids.grants += 1;
        let scopes = ["assessments", "reports", "report_notes"].map(String::from);
        batch.grants.row(&[
            Field::Int(ids.grants),
            Field::Int(id.into()),
            Field::Int(clinician.into()),
            Field::TextArray(&scopes),
            Field::Time(created + Duration::days(1)),
        ]);
    }
}
