//! Removes stored files that no row refers to: a file whose upload died between the durable
//! write and the row insert, or whose delete failed after the row was gone, export archives
//! downloaded or expired, and leftovers of interrupted writes. Only files older than a grace period are touched, so an upload in
//! flight (file written, row not yet committed) is never taken. Every replica may sweep;
//! deleting twice is harmless.

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::{sync::watch, task::JoinHandle};

use crate::{
    error::{BoxError, error_chain},
    storage::SharedStorage,
};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub orphans: usize,
    pub partial_writes: usize,
}

/// One sweep over the whole store.
pub async fn sweep(
    db: &DatabaseConnection,
    storage: &SharedStorage,
    grace: Duration,
) -> Result<Swept, BoxError> {
    // File times are wall-clock times, whatever clock the service runs on.
    let cutoff = Utc::now() - grace;
    // Archives past their one download or their expiry are let go; the orphan pass below then
    // deletes their files like any unreferenced file.
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE data_exports SET file_path = NULL, \
             status = CASE WHEN status = 'ready' THEN 'expired' ELSE status END \
         WHERE file_path IS NOT NULL \
           AND ((status = 'downloaded' AND downloaded_at <= $2) OR (status = 'ready' AND expires_at <= $1))",
        // A downloaded archive goes an hour after its download was claimed, so a sweep never
        // takes a file whose download was claimed but not yet opened.
        [Utc::now().into(), (Utc::now() - Duration::hours(1)).into()],
    ))
    .await?;
    let partial_writes = storage.remove_partial_writes(cutoff).await?;
    let old: Vec<String> = storage
        .list()
        .await?
        .into_iter()
        .filter(|object| object.modified < cutoff)
        .map(|object| object.key.to_string())
        .collect();
    let mut orphans = 0;
    for batch in old.chunks(1000) {
        let referenced: Vec<String> = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT file_path AS key FROM medical_reports WHERE file_path = ANY($1) \
                 UNION SELECT profile_image_url FROM users WHERE profile_image_url = ANY($1) \
                 UNION SELECT file_path FROM data_exports WHERE file_path = ANY($1)",
                [batch.to_vec().into()],
            ))
            .await?
            .iter()
            .filter_map(|row| row.try_get::<String>("", "key").ok())
            .collect();
        for key in batch.iter().filter(|key| !referenced.contains(key)) {
            if let Some(key) = crate::storage::StorageKey::parse(key) {
                storage.delete(&key).await?;
                orphans += 1;
            }
        }
    }
    Ok(Swept {
        orphans,
        partial_writes,
    })
}

/// Sweeps every `interval` until `shutdown` turns true.
pub fn spawn(
    db: DatabaseConnection,
    storage: SharedStorage,
    interval: std::time::Duration,
    grace: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => return,
            }
            match sweep(&db, &storage, grace).await {
                Ok(swept) if swept != Swept::default() => {
                    tracing::info!(
                        orphans = swept.orphans,
                        partial_writes = swept.partial_writes,
                        "storage swept"
                    );
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::error!(error = %error_chain(err.as_ref()), "storage sweep failed")
                }
            }
        }
    })
}
