//! Stored assessments: create, read, delete (trends load in batches: `loaders::TrendLoader`). Every function takes the owner's id and
//! never touches another user's rows.

use chrono::{DateTime, Utc};
use entity::health_assessments;
use rust_decimal::{Decimal, prelude::FromPrimitive};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use super::input::Evaluated;
use crate::error::AppError;

pub async fn create_assessment(
    conn: &impl ConnectionTrait,
    user_id: i32,
    evaluated: Evaluated,
    now: DateTime<Utc>,
) -> Result<health_assessments::Model, AppError> {
    let Evaluated {
        assessment_type,
        outcome,
        data,
    } = evaluated;
    let probability = outcome
        .probability
        .map(|p| {
            Decimal::from_f64(p)
                .map(|d| d.round_dp(6))
                .ok_or_else(|| AppError::internal("probability is not a number"))
        })
        .transpose()?;
    let row = health_assessments::ActiveModel {
        user_id: Set(user_id),
        assessment_type: Set(assessment_type.as_db().to_owned()),
        risk_score: Set(outcome.score),
        risk_level: Set(outcome.level.as_db().to_owned()),
        probability: Set(probability),
        assessment_data: Set(data),
        recommendations: Set(outcome.recommendations),
        warning_signs: Set(outcome.warning_signs),
        next_steps: Set(outcome.next_steps),
        is_api_result: Set(false),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row)
}

/// The owner's assessment; another user's id, or none, is NOT_FOUND.
pub async fn find_own(
    conn: &impl ConnectionTrait,
    user_id: i32,
    id: i32,
) -> Result<health_assessments::Model, AppError> {
    health_assessments::Entity::find_by_id(id)
        .filter(health_assessments::Column::UserId.eq(user_id))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn delete_own(
    conn: &impl ConnectionTrait,
    user_id: i32,
    id: i32,
) -> Result<(), AppError> {
    let deleted = health_assessments::Entity::delete_many()
        .filter(health_assessments::Column::Id.eq(id))
        .filter(health_assessments::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    if deleted.rows_affected == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}
