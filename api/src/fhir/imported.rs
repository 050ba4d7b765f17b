//! Storing what `import` planned, and the `batch-response` Bundle that answers it: one entry
//! per entry sent, in order, with its HTTP status, where the created resource can be read,
//! and an `OperationOutcome` saying why an entry was refused or what became of it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value as SqlValue,
};
use serde_json::{Value, json};

use super::{
    bundle,
    entry::id,
    import::{Plan, Refusal},
};
use crate::{
    assessments::service::create_assessment,
    error::AppError,
    rate_limit::{self, Rule},
};

/// What became of one entry.
pub enum Answer {
    /// A new assessment.
    Created(i32),
    /// Imported before (this Bundle or an earlier one): that assessment.
    Existing(i32),
    /// A height stored with the BMI of entry `by`.
    Used {
        by: usize,
    },
    Refused(Refusal),
}

/// Imports a user may send per hour.
pub const IMPORTS: Rule = Rule::new(30, chrono::Duration::hours(1));

/// Stores the plans' assessments for `user_id` in one transaction; RATE_LIMITED past
/// `IMPORTS`. Imports of one user run one at a time (the rate limit's lock on their bucket).
pub async fn store(
    db: &DatabaseConnection,
    user_id: i32,
    plans: Vec<Plan>,
    now: DateTime<Utc>,
) -> Result<Vec<Answer>, AppError> {
    let txn = db.begin().await?;
    // Counted per user (a client syncing a home monitor imports a few times a day); the
    // bucket's lock also makes one user's imports run one at a time, so the same Observation
    // sent twice at once is stored once.
    rate_limit::hit_in(
        &txn,
        &format!("fhir-import:user:{user_id}"),
        &[IMPORTS],
        now,
    )
    .await?;
    let sources: Vec<String> = plans
        .iter()
        .filter_map(|p| match p {
            Plan::Create { key, .. } => Some(key.clone()),
            _ => None,
        })
        .collect();
    let mut known: HashMap<String, i32> = HashMap::new();
    if !sources.is_empty() {
        let rows = txn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT source, health_assessment_id FROM fhir_imports \
                 WHERE user_id = $1 AND source = ANY($2)",
                [
                    user_id.into(),
                    SqlValue::Array(
                        sea_orm::sea_query::ArrayType::String,
                        Some(Box::new(sources.into_iter().map(Into::into).collect())),
                    ),
                ],
            ))
            .await?;
        for row in rows {
            known.insert(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        }
    }
    let mut answers = Vec::with_capacity(plans.len());
    for plan in plans {
        let answer = match plan {
            Plan::Refused(refusal) => Answer::Refused(refusal),
            Plan::Used { by } => Answer::Used { by },
            Plan::Create { key, .. } if known.contains_key(&key) => Answer::Existing(known[&key]),
            Plan::Create {
                key,
                effective,
                input,
            } => match input.evaluate() {
                Err(err) => Answer::Refused(Refusal {
                    code: "value",
                    message: format!("{}: {}", err.field, err.message),
                }),
                Ok(evaluated) => {
                    // Dated when measured: it takes its place in the history and trends.
                    let row = create_assessment(&txn, user_id, evaluated, effective).await?;
                    txn.execute_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "INSERT INTO fhir_imports (user_id, source, health_assessment_id, imported_at) \
                         VALUES ($1, $2, $3, $4)",
                        [
                            user_id.into(),
                            key.clone().into(),
                            row.id.into(),
                            now.into(),
                        ],
                    ))
                    .await?;
                    known.insert(key, row.id);
                    Answer::Created(row.id)
                }
            },
        };
        answers.push(answer);
    }
    // A height goes with its weight: refused with it.
    for i in 0..answers.len() {
        if let Answer::Used { by } = answers[i]
            && matches!(answers[by], Answer::Refused(_))
        {
            answers[i] = Answer::Refused(Refusal {
                code: "business-rule",
                message: format!(
                    "it was to be stored with the body weight of entry {by}, which was refused"
                ),
            });
        }
    }
    txn.commit().await?;
    Ok(answers)
}

/// The `batch-response` Bundle for `answers`, with locations under `base`.
pub fn response(base: &str, answers: &[Answer]) -> Value {
    let location = |assessment: i32| {
        let own = assessment.to_string();
        format!("{base}/Observation/{}", id(&["assessment", &own]))
    };
    let entries: Vec<Value> = answers
        .iter()
        .map(|answer| {
            let response = match answer {
                Answer::Created(assessment) => json!({
                    "status": "201 Created",
                    "location": location(*assessment),
                }),
                Answer::Existing(assessment) => json!({
                    "status": "200 OK",
                    "location": location(*assessment),
                    "outcome": bundle::outcome("information", "duplicate", &[
                        "imported before: nothing new was stored".to_owned(),
                    ]),
                }),
                Answer::Used { by } => json!({
                    "status": "200 OK",
                    "outcome": bundle::outcome("information", "informational", &[
                        format!("stored with the body weight of entry {by}, as its BMI"),
                    ]),
                }),
                Answer::Refused(refusal) => json!({
                    "status": "422 Unprocessable Entity",
                    "outcome": bundle::outcome("error", refusal.code, std::slice::from_ref(&refusal.message)),
                }),
            };
            json!({ "response": response })
        })
        .collect();
    let mut bundle = json!({ "resourceType": "Bundle", "type": "batch-response" });
    if !entries.is_empty() {
        bundle["entry"] = Value::Array(entries);
    }
    bundle
}
