//! Batched lists of health assessments.

crate::child_relation! {
    /// A user's health assessments, newest first.
    AssessmentsByUserId: health_assessments by user_id (UserId), sorted by created_at (CreatedAt),
    newest_first: true, condition: None,
}

/// One user's trend request: an instrument and an optional time window.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrendKey {
    pub user_id: i32,
    pub assessment_type: crate::enums::AssessmentType,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// Loads trends for many users: one statement per distinct (instrument, window).
pub struct TrendLoader {
    db: crate::read_pool::ReadPool,
}

impl crate::batching::BatchLoader for TrendLoader {
    type Key = TrendKey;
    type Value = Vec<entity::health_assessments::Model>;

    fn for_request(db: &crate::read_pool::ReadPool, _now: chrono::DateTime<chrono::Utc>) -> Self {
        Self { db: db.clone() }
    }

    async fn load(
        &self,
        keys: &[TrendKey],
    ) -> Result<std::collections::HashMap<TrendKey, Self::Value>, std::sync::Arc<sea_orm::DbErr>>
    {
        use entity::health_assessments::{Column, Entity};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

        let mut by_window: std::collections::HashMap<
            (crate::enums::AssessmentType, _, _),
            Vec<i32>,
        > = std::collections::HashMap::new();
        for key in keys {
            by_window
                .entry((key.assessment_type, key.from, key.to))
                .or_default()
                .push(key.user_id);
        }
        let mut trends = std::collections::HashMap::new();
        for ((assessment_type, from, to), users) in by_window {
            let mut query = Entity::find()
                .filter(Column::UserId.is_in(users))
                .filter(Column::AssessmentType.eq(assessment_type.as_db()));
            if let Some(from) = from {
                query = query.filter(Column::CreatedAt.gte(from));
            }
            if let Some(to) = to {
                query = query.filter(Column::CreatedAt.lt(to));
            }
            for row in query
                .order_by_asc(Column::CreatedAt)
                .order_by_asc(Column::Id)
                .all(&self.db)
                .await?
            {
                let key = TrendKey {
                    user_id: row.user_id,
                    assessment_type,
                    from,
                    to,
                };
                trends.entry(key).or_insert_with(Vec::new).push(row);
            }
        }
        Ok(trends)
    }
}
