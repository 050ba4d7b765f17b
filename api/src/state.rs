//! What every request handler reaches (`AppState`): the databases, the schema, settings and
//! services, and the rule that picks the database a request reads from.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    chat::events::EventHub,
    config::Settings,
    context::MaybeViewer,
    db::{self, DbStats},
    documents::Documents,
    enums::Role,
    metrics::Metrics,
    persisted::AllowList,
    read_pool::ReadPool,
    schema::ApiSchema,
    services::SharedServices,
};

/// What every handler can reach. Each HTTP worker has its own copy, with database pools of
/// its own (`AppState::for_worker`); the rest is shared.
#[derive(Clone)]
pub struct AppState {
    /// The primary: every write, and every read that must see the latest state.
    pub db: DatabaseConnection,
    /// The read replica (`DATABASE_READ_URL`), when there is one.
    pub read_db: Option<DatabaseConnection>,
    /// Requests' reads on the primary (`read_pool`; in an HTTP worker, a pool of their own).
    pub reads: ReadPool,
    /// Requests' reads on the replica, when there is one.
    pub replica_reads: Option<ReadPool>,
    /// Every HTTP worker's request pools on the primary, for `/metrics`.
    pub worker_pools: Arc<std::sync::Mutex<Vec<ReadPool>>>,
    /// Parsed and checked GraphQL documents, and APQ registrations.
    pub documents: Arc<Documents>,
    pub read_db_stats: Arc<DbStats>,
    pub schema: ApiSchema,
    /// The same schema, for documents that already passed its full validation
    /// (`documents::Document::validated`).
    pub revalidated_schema: ApiSchema,
    pub settings: Arc<Settings>,
    pub services: SharedServices,
    pub db_stats: Arc<DbStats>,
    pub events: EventHub,
    pub metrics: Arc<Metrics>,
    /// The persisted-operation allow-list, when `PERSISTED_QUERIES_FILE` is set.
    pub allow_list: Option<Arc<AllowList>>,
}

impl AppState {
    /// This state for one HTTP worker: `pool_size` connections to each database (primary,
    /// and replica if any) that the worker's own runtime opens and polls
    /// (`db::connect_lazy`), split between requests' reads (`read_pool`) and the rest.
    pub(crate) async fn for_worker(&self, pool_size: u32) -> Result<Self, sea_orm::DbErr> {
        let settings = &self.settings;
        let reads = db::worker_pools(
            &settings.database.database_url,
            settings,
            pool_size,
            &self.db_stats,
        )
        .await?;
        let replica_reads = match &settings.database.database_read_url {
            Some(url) => {
                Some(db::worker_pools(url, settings, pool_size, &self.read_db_stats).await?)
            }
            None => None,
        };
        self.worker_pools
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(reads.clone());
        Ok(Self {
            db: reads.connection().clone(),
            read_db: replica_reads.as_ref().map(|r| r.connection().clone()),
            reads,
            replica_reads,
            ..self.clone()
        })
    }

    /// The database a GraphQL request reads from. The replica serves queries, except for
    /// sessions that wrote within `READ_AFTER_WRITE_SECS` (they read their own writes) and for
    /// clinicians and admins (access to other people's data must see a revocation at once).
    pub fn database_for(
        &self,
        viewer: &MaybeViewer,
        writes: bool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> &ReadPool {
        let Some(replica) = &self.replica_reads else {
            return &self.reads;
        };
        if writes {
            return &self.reads;
        }
        let Some(viewer) = &viewer.0 else {
            return replica;
        };
        let window = chrono::Duration::seconds(
            i64::try_from(self.settings.database.read_after_write_secs).unwrap_or(i64::MAX),
        );
        let staff = viewer.user.role != Role::User.as_db();
        let wrote_lately = viewer
            .session
            .last_write_at
            .is_some_and(|at| now.signed_duration_since(at.to_utc()) < window);
        if staff || wrote_lately {
            &self.reads
        } else {
            replica
        }
    }
}
