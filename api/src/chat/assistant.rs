//! The built-in assistant: offline and deterministic. It answers from the user's own data
//! (latest assessment results, flagged values of the latest analysed report) and from a small
//! curated set of general guidance topics, says plainly what it cannot do, and always ends with
//! a not-medical-advice line. It also answers whenever the external provider fails.
//!
//! `HealthContext` is the user's data as both assistants see it: the built-in one always (the
//! data never leaves the server), the external one only when the user's `ai_context_sharing`
//! setting is on.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use serde_json::Value;

use crate::enums::SessionType;

pub const NOT_ADVICE: &str = "This is general information, not medical advice; for decisions about your health, talk to a doctor.";

/// The user's latest results, as the assistants may use them.
#[derive(Debug, Clone, Default)]
pub struct HealthContext {
    /// (instrument, risk level, score) of the latest assessment of each instrument.
    pub assessments: Vec<(String, String, i32)>,
    /// (name, value, unit, flag) of the latest analysed report's values outside their range.
    pub flagged_values: Vec<(String, f64, String, String)>,
}

impl HealthContext {
    /// One statement: the latest result of each instrument, and the latest analysed report.
    pub async fn load(conn: &impl ConnectionTrait, user_id: i32) -> Result<Self, DbErr> {
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT (\
                   SELECT json_agg(json_build_array(assessment_type, risk_level, risk_score) \
                                   ORDER BY assessment_type) \
                   FROM (\
                     SELECT DISTINCT ON (assessment_type) assessment_type, risk_level, risk_score \
                     FROM health_assessments WHERE user_id = $1 \
                     ORDER BY assessment_type, created_at DESC, id DESC\
                   ) latest\
                 ) AS assessments, (\
                   SELECT analysis_result FROM medical_reports \
                   WHERE user_id = $1 AND analysis_status = 'completed' \
                   ORDER BY analyzed_at DESC NULLS LAST, id DESC LIMIT 1\
                 ) AS report",
                [user_id.into()],
            ))
            .await?;
        let assessments: Vec<(String, String, i32)> = row
            .as_ref()
            .and_then(|row| {
                row.try_get::<Option<Value>>("", "assessments")
                    .ok()
                    .flatten()
            })
            .and_then(|list| serde_json::from_value(list).ok())
            .unwrap_or_default();
        let report = row
            .as_ref()
            .and_then(|row| row.try_get::<Option<Value>>("", "report").ok().flatten());
        let flagged_values = report
            .as_ref()
            .and_then(|r| r["analytes"].as_array())
            .map(|analytes| {
                analytes
                    .iter()
                    .filter(|a| a["flag"].as_str().is_some_and(|f| f != "NORMAL"))
                    .filter_map(|a| {
                        Some((
                            a["name"].as_str()?.to_owned(),
                            a["value"].as_f64()?,
                            a["unit"].as_str()?.to_owned(),
                            a["flag"].as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            assessments,
            flagged_values,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.assessments.is_empty() && self.flagged_values.is_empty()
    }

    /// A short plain summary ("" when there is nothing).
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.assessments.is_empty() {
            let listed: Vec<String> = self
                .assessments
                .iter()
                .map(|(kind, level, score)| {
                    format!(
                        "{} {} risk (score {score})",
                        instrument_name(kind),
                        level.replace('_', " ")
                    )
                })
                .collect();
            parts.push(format!("Latest assessments: {}.", listed.join("; ")));
        }
        if !self.flagged_values.is_empty() {
            let listed: Vec<String> = self
                .flagged_values
                .iter()
                .map(|(name, value, unit, flag)| {
                    format!("{name} {value} {unit} ({})", flag.to_lowercase())
                })
                .collect();
            parts.push(format!(
                "Values outside their range in the latest lab report: {}.",
                listed.join("; ")
            ));
        }
        parts.join(" ")
    }
}

fn instrument_name(kind: &str) -> &str {
    match kind {
        "framingham" => "Framingham 10-year cardiovascular",
        "findrisc" => "FINDRISC diabetes",
        "phq9" => "PHQ-9 depression",
        "gad7" => "GAD-7 anxiety",
        "blood_pressure" => "blood pressure",
        "bmi" => "BMI",
        other => other,
    }
}

/// Curated general guidance: (topic, words that select it, text).
const TOPICS: &[(&str, &[&str], &str)] = &[
    (
        "sleep",
        &["sleep", "insomnia", "tired", "rest"],
        "Most adults need 7 to 9 hours of sleep. A regular schedule, a dark and quiet bedroom, and less caffeine, alcohol and screen time in the evening help.",
    ),
    (
        "activity",
        &[
            "exercise", "activity", "walk", "workout", "fitness", "steps",
        ],
        "Adults benefit from at least 150 minutes of moderate activity a week, such as brisk walking, plus muscle-strengthening activity on two days. Any movement is better than none.",
    ),
    (
        "nutrition",
        &["diet", "eat", "food", "nutrition", "meal", "salt", "sugar"],
        "A balanced diet has plenty of vegetables, fruit, whole grains and legumes, with less salt, added sugar and processed meat.",
    ),
    (
        "blood_pressure",
        &["blood pressure", "hypertension", "bp"],
        "Blood pressure is lowered by less salt, regular activity, a healthy weight, limiting alcohol and not smoking. Home readings are best taken seated after five minutes of rest.",
    ),
    (
        "cholesterol",
        &["cholesterol", "ldl", "hdl", "lipid", "triglyceride"],
        "Cholesterol improves with fewer saturated fats, more fibre, regular activity and not smoking. Whether medicine is needed depends on your overall risk, which a doctor can assess.",
    ),
    (
        "blood_sugar",
        &[
            "glucose",
            "sugar level",
            "diabetes",
            "hba1c",
            "a1c",
            "prediabetes",
        ],
        "Blood sugar benefits from regular activity, a healthy weight, fewer sugary drinks and refined carbohydrates, and regular check-ups if you have risk factors.",
    ),
    (
        "weight",
        &["weight", "bmi", "obese", "overweight", "lose weight"],
        "Lasting weight change comes from small, steady changes to eating and activity; aiming to lose 5 to 10 percent of body weight already brings health benefits for many people.",
    ),
    (
        "stress",
        &[
            "stress",
            "anxious",
            "anxiety",
            "worried",
            "mood",
            "depressed",
            "sad",
            "lonely",
        ],
        "Stress and low mood are eased by sleep, activity, time outdoors, and talking to people you trust. If low mood or worry lasts more than two weeks or affects daily life, please talk to a doctor or counsellor.",
    ),
    (
        "smoking",
        &["smoke", "smoking", "cigarette", "vape", "nicotine", "quit"],
        "Stopping smoking is one of the best things for your health at any age. Nicotine replacement, medication and support programmes make quitting more likely to last.",
    ),
    (
        "alcohol",
        &["alcohol", "drink", "drinking", "beer", "wine"],
        "Less alcohol is better for health; if you drink, keep several days a week alcohol-free and avoid heavy single sessions.",
    ),
    (
        "hydration",
        &["water", "hydrat", "thirst"],
        "Most people stay well hydrated by drinking when thirsty and having water with meals; more is needed in heat and during exercise.",
    ),
];

const OWN_DATA_WORDS: &[&str] = &[
    "my result",
    "my results",
    "assessment",
    "report",
    "lab",
    "score",
    "my data",
    "my numbers",
    "how am i",
    "my values",
    "my risk",
];
const CANNOT_WORDS: &[&str] = &[
    "diagnos",
    "do i have",
    "what is wrong",
    "medication",
    "medicine",
    "dose",
    "dosage",
    "prescri",
    "pill",
    "treatment",
    "symptom",
    "pain",
    "hurts",
];

/// The built-in reply to `message`.
pub fn reply(message: &str, session_type: SessionType, context: &HealthContext) -> String {
    let lower = message.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let mut parts: Vec<String> = Vec::new();

    let wants_own_data = has(OWN_DATA_WORDS)
        || matches!(
            session_type,
            SessionType::ReportDiscussion | SessionType::AssessmentFollowUp
        );
    if wants_own_data {
        if context.is_empty() {
            parts.push("I do not see any assessment results or analysed lab reports in your account yet. Once you complete an assessment or upload a lab report, I can go through it with you.".into());
        } else {
            parts.push(format!(
                "Here is what I see in your account. {}",
                context.summary()
            ));
        }
    }
    let topics: Vec<&str> = TOPICS
        .iter()
        .filter(|(_, words, _)| words.iter().any(|w| lower.contains(w)))
        .take(2)
        .map(|(_, _, text)| *text)
        .collect();
    parts.extend(topics.iter().map(|t| (*t).to_owned()));
    if has(CANNOT_WORDS) {
        parts.push("I cannot diagnose symptoms, recommend medicines or doses, or tell whether a treatment is right for you; a doctor or pharmacist can.".into());
    }
    if parts.is_empty() {
        parts.push("I can share general information about sleep, physical activity, nutrition, blood pressure, cholesterol, blood sugar, weight, stress, smoking, alcohol and hydration, and go through your own assessment results and lab report values. What would you like to know?".into());
    }
    parts.push(NOT_ADVICE.into());
    parts.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_deterministic_and_end_with_the_notice() {
        let context = HealthContext::default();
        let a = reply("How much sleep do I need?", SessionType::General, &context);
        assert_eq!(
            a,
            reply("How much sleep do I need?", SessionType::General, &context)
        );
        assert!(a.contains("7 to 9 hours"));
        assert!(a.ends_with(NOT_ADVICE));
        let b = reply("hello", SessionType::General, &context);
        assert!(b.starts_with("I can share general information"));
    }

    #[test]
    fn own_data_is_used_and_limits_are_stated() {
        let context = HealthContext {
            assessments: vec![("bmi".into(), "moderate".into(), 27)],
            flagged_values: vec![("Glucose".into(), 105.0, "mg/dL".into(), "HIGH".into())],
        };
        let answer = reply(
            "what do my results mean? should I take medication?",
            SessionType::General,
            &context,
        );
        assert!(answer.contains("BMI moderate risk (score 27)"), "{answer}");
        assert!(answer.contains("Glucose 105 mg/dL (high)"), "{answer}");
        assert!(answer.contains("I cannot diagnose"), "{answer}");
        let empty = reply(
            "my results?",
            SessionType::General,
            &HealthContext::default(),
        );
        assert!(empty.starts_with("I do not see any"));
    }
}
