//! AI enrichment of a stored assessment ("Updated Assessment" in the ERD's flow).
//!
//! The model is asked for a few personalised, plain-language suggestions as a JSON object.
//! The answer is checked (shape, count, length, no markup or links) and appended to the
//! recommendations, each marked as AI-written; `assessment_data.ai` records provider, model and
//! time, and `is_api_result` turns true. The computed score, level and probability are never
//! touched. The update only applies while `is_api_result` is false, so a job that runs twice
//! (a worker died after the update, before marking the job done) changes nothing the second time.

use chrono::{DateTime, Utc};
use entity::health_assessments;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement};
use serde_json::{Value, json};

use crate::{
    ai::AiError,
    enums::JobKind,
    jobs::{self, JobError},
    services::{AppServices, SharedServices},
};

pub const MAX_SUGGESTIONS: usize = 3;
pub const MAX_SUGGESTION_CHARS: usize = 300;
/// How an AI-written recommendation is marked for the reader.
pub const AI_MARK: &str = "Personalised suggestion (AI): ";

const SYSTEM_PROMPT: &str = "You help people understand a health questionnaire result. \
Answer with a JSON object {\"recommendations\": [...]} holding 1 to 3 short, practical, \
plain-language suggestions (at most 300 characters each) that fit the result and the answers \
given. Do not diagnose, do not change or restate the score, do not use markup or links.";

/// Queues enrichment for a new assessment, when an AI provider is configured.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    services: &AppServices,
    assessment_id: i32,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    if services.ai.is_none() {
        return Ok(());
    }
    let payload = json!({ "assessmentId": assessment_id });
    let key = format!("enrich_assessment:{assessment_id}");
    jobs::enqueue(
        conn,
        JobKind::EnrichAssessment,
        payload,
        Some(key),
        services.job_max_attempts,
        now,
    )
    .await
}

fn assessment_id(payload: &Value) -> Result<i32, JobError> {
    payload["assessmentId"]
        .as_i64()
        .and_then(|id| i32::try_from(id).ok())
        .ok_or_else(|| JobError::Permanent("payload has no assessmentId".into()))
}

/// Checks the model's answer; anything off is refused whole.
pub fn suggestions(answer: &Value) -> Result<Vec<String>, String> {
    let items = answer["recommendations"]
        .as_array()
        .ok_or("no recommendations array")?;
    if items.is_empty() || items.len() > MAX_SUGGESTIONS {
        return Err(format!(
            "{} recommendations; 1 to {MAX_SUGGESTIONS} expected",
            items.len()
        ));
    }
    items
        .iter()
        .map(|item| {
            let text = item.as_str().ok_or("a recommendation is not a string")?;
            crate::ai::plain_text(text, MAX_SUGGESTION_CHARS)
                .map_err(|why| format!("a recommendation {why}"))
        })
        .collect()
}

crate::payload_job! {
    /// The `enrich_assessment` job: asks the AI provider for suggestions on one assessment.
    EnrichAssessment: JobKind::EnrichAssessment,
    run: suggest,
    record_failure: record_failure,
}

/// Asks the AI provider for suggestions on the assessment and stores them beside the result.
pub async fn suggest(
    db: &DatabaseConnection,
    services: &SharedServices,
    payload: &Value,
) -> Result<(), JobError> {
    let id = assessment_id(payload)?;
    let Some(ai) = services.ai.as_ref() else {
        return Err(JobError::Permanent("no AI provider is configured".into()));
    };
    let internal = |err: sea_orm::DbErr| JobError::Retry(format!("database: {err}"));
    let Some(row) = health_assessments::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(internal)?
    else {
        return Ok(()); // deleted meanwhile: nothing left to enrich
    };
    if row.is_api_result {
        return Ok(()); // already enriched: a repeated run changes nothing
    }
    let question = json!({
        "instrument": row.assessment_type,
        "score": row.risk_score,
        "riskLevel": row.risk_level,
        "band": row.assessment_data["band"],
        "answers": row.assessment_data["inputs"],
        "currentRecommendations": row.recommendations,
    });
    let answer = ai
        .complete_json(SYSTEM_PROMPT, &question.to_string())
        .await
        .map_err(|err: AiError| JobError::retry(err))?;
    let extra = suggestions(&answer)
        .map_err(|why| JobError::Retry(format!("the AI provider's answer was refused: {why}")))?;
    let marked: Vec<String> = extra.iter().map(|s| format!("{AI_MARK}{s}")).collect();
    let record = json!({
        "provider": ai.name(),
        "model": ai.model(),
        "generatedAt": services.clock.now(),
        "recommendations": extra,
    });
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE health_assessments SET recommendations = recommendations || $2::text[], is_api_result = true, \
         assessment_data = (assessment_data - 'aiError') || jsonb_build_object('ai', $3::jsonb) \
         WHERE id = $1 AND NOT is_api_result",
        [id.into(), marked.into(), record.into()],
    ))
    .await
    .map_err(internal)?;
    Ok(())
}

/// What the user reads when enrichment was given up. The technical reason stays server-side
/// (`jobs.last_error` and the log): it can name hosts or database details.
pub const FAILURE_NOTICE: &str = "Personalised AI suggestions could not be added this time. Your result above is complete and unaffected.";

/// Records, where the user sees it, that enrichment was given up; the local result stays.
pub async fn record_failure(
    db: &DatabaseConnection,
    payload: &Value,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let Ok(id) = assessment_id(payload) else {
        return Ok(());
    };
    let failure = json!({ "error": FAILURE_NOTICE, "at": now });
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE health_assessments SET assessment_data = assessment_data || jsonb_build_object('aiError', $2::jsonb) \
         WHERE id = $1 AND NOT is_api_result",
        [id.into(), failure.into()],
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_whole() {
        assert_eq!(
            suggestions(&json!({ "recommendations": [" Walk after dinner. "] })),
            Ok(vec!["Walk after dinner.".to_owned()])
        );
        for bad in [
            json!({}),
            json!({ "recommendations": [] }),
            json!({ "recommendations": ["a", "b", "c", "d"] }),
            json!({ "recommendations": [42] }),
            json!({ "recommendations": ["x".repeat(301)] }),
            json!({ "recommendations": ["<b>bold</b>"] }),
            json!({ "recommendations": ["see https://example.com"] }),
            json!({ "recommendations": ["**Do this**"] }),
        ] {
            assert!(suggestions(&bad).is_err(), "{bad}");
        }
    }
}
