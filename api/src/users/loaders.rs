//! Batched lookups of accounts by id, for lists that show other people (a clinician's patients,
//! the author of doctor notes, an admin's account list).

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use chrono::{DateTime, Utc};
use entity::{user_sessions, users};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

/// Accounts by id: one `WHERE id IN (...)` per batch.
pub struct UsersById {
    db: DatabaseConnection,
}

impl UsersById {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<i32> for UsersById {
    type Value = users::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, users::Model>, Self::Error> {
        Ok(users_by_id(&self.db, ids).await?)
    }
}

/// The accounts with these ids, in one statement.
pub async fn users_by_id(
    db: &DatabaseConnection,
    ids: &[i32],
) -> Result<HashMap<i32, users::Model>, DbErr> {
    let rows = users::Entity::find()
        .filter(users::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// When each account was last active on any device: one `GROUP BY` per batch.
pub struct LastActiveByUserId {
    db: DatabaseConnection,
}

impl LastActiveByUserId {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[derive(FromQueryResult)]
struct LastActive {
    user_id: i32,
    last_active: DateTime<Utc>,
}

impl Loader<i32> for LastActiveByUserId {
    type Value = DateTime<Utc>;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, DateTime<Utc>>, Self::Error> {
        let rows = user_sessions::Entity::find()
            .select_only()
            .column(user_sessions::Column::UserId)
            .column_as(user_sessions::Column::LastActivity.max(), "last_active")
            .filter(user_sessions::Column::UserId.is_in(ids.iter().copied()))
            .group_by(user_sessions::Column::UserId)
            .into_model::<LastActive>()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.user_id, row.last_active))
            .collect())
    }
}
