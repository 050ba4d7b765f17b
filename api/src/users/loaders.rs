//! Batched lookups of accounts by id, for lists that show other people (a clinician's patients,
//! the author of doctor notes, an admin's account list).

use std::{collections::HashMap, sync::Arc};

use crate::{
    batching::BatchLoader,
    read_pool::ReadPool,
    rows::{FromRow, read_all},
};
use chrono::{DateTime, Utc};
use entity::{user_sessions, users};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, Statement,
};

/// Accounts by id: one `WHERE id IN (...)` per batch.
pub struct UsersById {
    db: ReadPool,
}

impl BatchLoader for UsersById {
    type Key = i32;
    type Value = users::Model;

    fn for_request(db: &ReadPool, _now: DateTime<Utc>) -> Self {
        Self { db: db.clone() }
    }

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, users::Model>, Arc<DbErr>> {
        Ok(users_by_id(&self.db, ids).await?)
    }
}

/// The accounts with these ids, in one statement.
pub async fn users_by_id(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, users::Model>, DbErr> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "SELECT {} FROM users u WHERE u.id = ANY($1)",
            users::Model::select_list("u")
        ),
        [ids.to_vec().into()],
    );
    let rows = read_all::<users::Model>(&db.query_all_raw(statement).await?)?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// When each account was last active on any device: one `GROUP BY` per batch.
pub struct LastActiveByUserId {
    db: ReadPool,
}

#[derive(FromQueryResult)]
struct LastActive {
    user_id: i32,
    last_active: DateTime<Utc>,
}

impl BatchLoader for LastActiveByUserId {
    type Key = i32;
    type Value = DateTime<Utc>;

    fn for_request(db: &ReadPool, _now: DateTime<Utc>) -> Self {
        Self { db: db.clone() }
    }

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, DateTime<Utc>>, Arc<DbErr>> {
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
