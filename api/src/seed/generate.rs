//! The seeded people and their data. Each user's rows come from a generator seeded with the run's
//! seed and the user's number, so the data does not depend on batch sizes; ids come from
//! counters advanced in user order, and every time is measured from a fixed date. The same seed
//! gives the same rows, byte for byte.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::{RngExt, SeedableRng, rngs::Xoshiro256PlusPlus, seq::IndexedRandom};
use serde_json::json;

use super::csv::{Field, Table};
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

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kemi",
    "Liam", "Maya", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera",
    "Wen", "Ximena", "Yusuf", "Zoe",
];
const LAST_NAMES: &[&str] = &[
    "Abbott", "Baker", "Costa", "Diallo", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quispe", "Rossi", "Silva",
    "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhou",
];
const GENDERS: &[&str] = &["female", "male", "non_binary", "other", "prefer_not_to_say"];
const QUESTIONS: &[&str] = &[
    "I have been sleeping badly this week. What could help?",
    "My blood pressure reading was 138 over 88 this morning. Is that high?",
    "What does a BMI of 27 mean for me?",
    "How much exercise should I aim for each week?",
    "My latest cholesterol result came back a little high. What can I change?",
    "I feel more anxious than usual before work. Any tips?",
    "Is it normal to feel tired after starting a new medication?",
    "What should I eat to keep my blood sugar steady?",
];
const ANSWERS: &[&str] = &[
    "A steady routine helps: the same bedtime, little screen time before sleep, and no caffeine after noon.",
    "That is in the elevated range. Measure again on a few days at the same time and share the readings with your doctor.",
    "A BMI of 27 is in the overweight range. Small changes to activity and diet make a difference over months.",
    "Aim for at least 150 minutes of moderate activity a week, plus two days of muscle strengthening.",
    "More fibre, fewer saturated fats and regular activity can lower cholesterol; your doctor can advise on next steps.",
    "Slow breathing, short walks and planning the day ahead can ease anxiety. If it persists, talk to a professional.",
    "Tiredness can be a side effect. Keep taking it as prescribed and ask your pharmacist or doctor if it continues.",
    "Meals with whole grains, vegetables and protein, eaten at regular times, keep blood sugar steadier.",
];
const REPORT_TYPES: &[&str] = &["lab_result", "imaging", "prescription", "consultation_note"];
const SESSION_TYPES: &[&str] = &[
    "general",
    "symptom_check",
    "report_discussion",
    "assessment_follow_up",
];

/// Ids already used per table, advanced as rows are generated.
#[derive(Debug, Default)]
pub struct Counters {
    pub assessments: i64,
    pub reports: i64,
    pub chat_sessions: i64,
    pub chat_messages: i64,
    pub settings: i64,
    pub device_sessions: i64,
    pub grants: i64,
}

/// One batch of rows, a table each.
pub struct Batch {
    pub users: Table,
    pub assessments: Table,
    pub reports: Table,
    pub chat_sessions: Table,
    pub chat_messages: Table,
    pub settings: Table,
    pub device_sessions: Table,
    pub grants: Table,
}

impl Default for Batch {
    fn default() -> Self {
        Self {
            users: Table::new(
                "users",
                &[
                    "id",
                    "email",
                    "password_hash",
                    "first_name",
                    "last_name",
                    "date_of_birth",
                    "gender",
                    "phone_number",
                    "is_verified",
                    "is_active",
                    "created_at",
                    "updated_at",
                    "role",
                ],
            ),
            assessments: Table::new(
                "health_assessments",
                &[
                    "id",
                    "user_id",
                    "assessment_type",
                    "risk_score",
                    "risk_level",
                    "assessment_data",
                    "recommendations",
                    "warning_signs",
                    "next_steps",
                    "is_api_result",
                    "created_at",
                ],
            ),
            reports: Table::new(
                "medical_reports",
                &[
                    "id",
                    "user_id",
                    "report_type",
                    "file_name",
                    "file_path",
                    "file_size",
                    "mime_type",
                    "upload_date",
                    "analysis_status",
                    "analysis_result",
                    "ai_insights",
                    "is_archived",
                    "title",
                    "content_sha256",
                    "analyzed_at",
                ],
            ),
            chat_sessions: Table::new(
                "chat_sessions",
                &[
                    "id",
                    "user_id",
                    "session_type",
                    "is_active",
                    "started_at",
                    "ended_at",
                    "total_messages",
                ],
            ),
            chat_messages: Table::new(
                "chat_messages",
                &[
                    "id",
                    "session_id",
                    "sender_type",
                    "message_content",
                    "message_type",
                    "metadata",
                    "created_at",
                ],
            ),
            settings: Table::new(
                "app_settings",
                &[
                    "id",
                    "user_id",
                    "setting_key",
                    "setting_value",
                    "setting_type",
                    "created_at",
                    "updated_at",
                ],
            ),
            device_sessions: Table::new(
                "user_sessions",
                &[
                    "id",
                    "user_id",
                    "session_token",
                    "device_info",
                    "expires_at",
                    "is_active",
                    "created_at",
                    "last_activity",
                    "idle_timeout_seconds",
                ],
            ),
            grants: Table::new(
                "care_team_grants",
                &["id", "patient_id", "clinician_id", "scopes", "created_at"],
            ),
        }
    }
}

impl Batch {
    /// The tables in an order that satisfies their foreign keys.
    pub fn tables_mut(&mut self) -> [&mut Table; 8] {
        [
            &mut self.users,
            &mut self.assessments,
            &mut self.reports,
            &mut self.chat_sessions,
            &mut self.chat_messages,
            &mut self.settings,
            &mut self.device_sessions,
            &mut self.grants,
        ]
    }
}

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
