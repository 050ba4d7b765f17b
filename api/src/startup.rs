//! Builds the application: database, schema, HTTP server. Tests build the same `Application`
//! the binary runs, on port 0.

use std::sync::Arc;

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
use async_graphql::ValidationMode;
use tokio::{sync::watch, task::JoinHandle};

use crate::{
    assessments,
    chat::events::EventHub,
    clock::SharedClock,
    config::Settings,
    db::{self, DbStats},
    documents::Documents,
    error::BoxError,
    export,
    http::{
        body_timeout, fhir, files, graphiql, graphql, health, metrics, request_id::request_id,
        security, unsubscribe, ws,
    },
    jobs::{self, JobRunner, RunnerConfig},
    mail,
    metrics::Metrics,
    notifications,
    operation_limits::OperationLimits,
    persisted::AllowList,
    preflight,
    read_pool::ReadPool,
    reminders,
    reports::{self, sweep},
    schema,
    services::{AppServices, SharedServices},
    state::AppState,
};

/// Connections of the pools outside the HTTP workers (start-up checks, background sweeps).
const BACKGROUND_POOL_SIZE: u32 = 2;

/// How long in-flight requests may take to finish after a shutdown signal.
const SHUTDOWN_GRACE_SECS: u64 = 30;

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    stop_jobs: watch::Sender<bool>,
    job_workers: Vec<JoinHandle<()>>,
}

impl Application {
    /// Prepares the database (unless told not to), connects, and binds the listener.
    pub async fn build(settings: Settings) -> Result<Self, BoxError> {
        Self::build_with_clock(settings, None).await
    }

    /// As [`Application::build`], with another clock (tests move time forward).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Option<SharedClock>,
    ) -> Result<Self, BoxError> {
        // Each of these fails fast with one line that says what to do (`preflight`).
        preflight::databases(&settings).await?;
        for (setting, dir) in preflight::folders(&settings) {
            preflight::writable(setting, &dir)?;
        }
        let listener = preflight::listen(&settings.server.host, settings.server.port)?;
        if !settings.database.skip_migrations {
            db::migrate_up(settings.direct_database_url()).await?;
        }
        // These pools connect at once, so a database that does not answer stops the start;
        // afterwards they serve only background work (the storage sweep). Requests use the
        // HTTP workers' own pools (`AppState::for_worker`).
        let db_stats = Arc::new(DbStats::default());
        let db = db::counted(
            db::connect(&settings, BACKGROUND_POOL_SIZE).await?,
            db_stats.clone(),
        );
        let read_db_stats = Arc::new(DbStats::default());
        let read_db = match &settings.database.database_read_url {
            Some(url) => {
                let mut replica = settings.clone();
                replica.database.database_url = url.clone();
                let pool = db::connect(&replica, BACKGROUND_POOL_SIZE).await?;
                Some(db::counted(pool, read_db_stats.clone()))
            }
            None => None,
        };
        let services: SharedServices = Arc::new(AppServices::from_settings(&settings, clock)?);
        let (stop_jobs, stopped) = watch::channel(false);
        let events = EventHub::new();
        let event_listener = notifications::listen(
            settings.direct_database_url(),
            stopped.clone(),
            events.clone(),
            services.clone(),
            db.clone(),
        )
        .await?;
        let schema = schema::build(
            services.clone(),
            events.clone(),
            &settings,
            ValidationMode::Strict,
        );
        let revalidated_schema = schema::build(
            services.clone(),
            events.clone(),
            &settings,
            ValidationMode::Fast,
        );
        let documents = Arc::new(Documents::new(
            OperationLimits {
                max_root_fields: settings.graphql.graphql_max_root_fields,
                max_aliases: settings.graphql.graphql_max_aliases,
            },
            settings.graphql.graphql_document_cache_size,
            settings.graphql.apq_cache_size,
        ));
        let allow_list = match &settings.graphql.persisted_queries_file {
            Some(path) => {
                let list = AllowList::load(path)?;
                tracing::info!(operations = list.len(), "persisted operations only");
                Some(Arc::new(list))
            }
            None => None,
        };
        let address = listener.local_addr()?;
        let http_workers = settings.server.http_workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        // DB_POOL_SIZE is the server's: the workers share it out.
        let worker_pool_size = settings
            .database
            .db_pool_size
            .div_ceil(u32::try_from(http_workers).unwrap_or(u32::MAX))
            .max(1);
        let state = AppState {
            reads: ReadPool::unkept(db.clone()),
            replica_reads: read_db.clone().map(ReadPool::unkept),
            db,
            read_db,
            worker_pools: Arc::default(),
            documents,
            read_db_stats,
            schema,
            revalidated_schema,
            settings: Arc::new(settings),
            services,
            db_stats,
            events,
            metrics: Arc::new(Metrics::new()?),
            allow_list,
        };

        let shared = state.clone();
        let origins = state.settings.server.cors_allowed_origins.clone();
        let body_timeouts = body_timeout::BodyTimeouts::from_settings(&state.settings);
        let cors_headers = state.settings.server.cors_allowed_headers.clone();
        let server = HttpServer::new(move || {
            let shared = shared.clone();
            App::new()
                // Runs on the worker's own runtime, before it takes connections.
                .data_factory(move || {
                    let shared = shared.clone();
                    async move { shared.for_worker(worker_pool_size).await }
                })
                .wrap(security::cors(&origins, &cors_headers))
                .wrap(security::headers())
                .wrap(from_fn(move |req, next| {
                    body_timeout::time_bodies(body_timeouts, req, next)
                }))
                .wrap(from_fn(request_id))
                .configure(routes)
        })
        // Signals are handled by `shutdown_on_signal`: actix treats SIGINT as a forced stop.
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE_SECS)
        .workers(http_workers);
        let server = server.listen(listener)?.run();

        // Job workers get a small pool of their own: background work never takes the
        // connections requests need.
        let workers = u32::try_from(state.settings.jobs.job_workers).unwrap_or(u32::MAX);
        let jobs_pool = if workers > 0 {
            Some(db::connect(&state.settings, workers.saturating_add(1)).await?)
        } else {
            None
        };
        let runner_config = RunnerConfig {
            poll_interval: std::time::Duration::from_millis(
                state.settings.jobs.job_poll_interval_ms,
            ),
            lease: chrono::Duration::seconds(
                i64::try_from(state.settings.jobs.job_lease_secs).unwrap_or(300),
            ),
            retry_base: chrono::Duration::seconds(
                i64::try_from(state.settings.jobs.job_retry_base_secs).unwrap_or(30),
            ),
        };
        // Each domain's jobs; a kind without its job stops the start here.
        let registry = jobs::Registry::new(vec![
            Arc::new(assessments::enrich::EnrichAssessment),
            Arc::new(reports::analysis::job::AnalyzeReport),
            Arc::new(export::job::ExportData),
            Arc::new(mail::job::SendMail),
            Arc::new(reminders::job::SendReminder),
        ])?;
        let job_workers = jobs_pool
            .iter()
            .flat_map(|pool| std::iter::repeat_n(pool, state.settings.jobs.job_workers))
            .map(|pool| {
                let runner = JobRunner::new(
                    pool.clone(),
                    state.services.clone(),
                    state.metrics.clone(),
                    runner_config,
                    registry.clone(),
                );
                tokio::spawn(runner.run(stopped.clone()))
            })
            .collect();
        let mut job_workers: Vec<JoinHandle<()>> = job_workers;
        job_workers.push(event_listener);
        // Replicas that work jobs plan reminders too (their unique keys make that safe), and
        // delete finished jobs after JOB_RETENTION_DAYS.
        if let Some(pool) = &jobs_pool
            && state.settings.jobs.job_retention_days > 0
        {
            job_workers.push(crate::jobs::spawn_retention(
                pool.clone(),
                state.services.clone(),
                chrono::Duration::days(state.settings.jobs.job_retention_days.max(1).into()),
                stopped.clone(),
            ));
        }
        if let Some(pool) = &jobs_pool {
            job_workers.push(reminders::plan::spawn(
                pool.clone(),
                state.services.clone(),
                std::time::Duration::from_millis(state.settings.jobs.reminder_plan_interval_ms),
                stopped.clone(),
            ));
        }
        if state.settings.storage.storage_sweep_interval_secs > 0 {
            job_workers.push(sweep::spawn(
                state.db.clone(),
                state.services.storage.clone(),
                std::time::Duration::from_secs(state.settings.storage.storage_sweep_interval_secs),
                chrono::Duration::seconds(
                    i64::try_from(state.settings.storage.storage_orphan_grace_secs).unwrap_or(3600),
                ),
                stopped.clone(),
            ));
        }
        tracing::info!(%address, "listening; GraphiQL at http://{address}/graphiql");
        Ok(Self {
            port: address.port(),
            server,
            state,
            stop_jobs,
            job_workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until stopped (see [`Application::stop_on_signals`]), then lets the job workers
    /// finish the jobs in their hands.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        let _ = self.stop_jobs.send(true);
        for worker in self.job_workers {
            let _ = worker.await;
        }
        served
    }

    /// On SIGINT or SIGTERM, stop accepting connections and let in-flight requests finish
    /// (up to 30 s) before the server future completes.
    pub fn stop_on_signals(&self) {
        let handle = self.server.handle();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown signal received; draining in-flight requests");
            handle.stop(true).await;
        });
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/graphql")
            .route(web::post().to(graphql::post))
            .route(web::get().to(graphql::get)),
    )
    .route("/graphql/ws", web::get().to(ws::ws))
    .service(
        web::scope("/graphiql")
            .wrap(actix_web::middleware::Compress::default())
            .route("", web::get().to(graphiql::page))
            .route("/assets/{name}", web::get().to(graphiql::file)),
    )
    .service(web::scope("/fhir/r4").configure(fhir::routes))
    .route("/files/reports/{id}", web::get().to(files::report))
    .route("/files/avatars/{user_id}", web::get().to(files::avatar))
    .route("/files/exports/{id}", web::get().to(files::export))
    .service(
        web::resource("/unsubscribe")
            .route(web::get().to(unsubscribe::show))
            .route(web::post().to(unsubscribe::confirm)),
    )
    .route("/metrics", web::get().to(metrics::metrics))
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz));
}

async fn wait_for_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(signal) => signal,
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM; only SIGINT stops the server");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
