//! `api seed --users N`: fills a database with realistic, deterministic data for development
//! and benchmarks (docs/seed.md). Users are generated in batches and loaded with `COPY`, one
//! statement per table and batch; a progress bar shows how far it got.
//!
//! Every seeded account has the password [`SEED_PASSWORD`]; user 1 is an ADMIN, every 100th
//! user a CLINICIAN with most of the 99 users below them as patients.

mod batch;
mod csv;
pub mod generate;
mod vocabulary;

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{ConnectionTrait, DatabaseConnection, sqlx::postgres::PgPoolCopyExt};

use self::batch::{Batch, Counters};
use crate::{auth::password, error::BoxError};

/// The password of every seeded account (they are test accounts, never real people).
pub const SEED_PASSWORD: &str = "seeded-echo-password";
/// Users generated and loaded together.
const BATCH_USERS: i32 = 500;

/// What to seed.
#[derive(Debug, Clone, Copy)]
pub struct SeedOptions {
    pub users: i32,
    pub seed: u64,
    /// Empty the database first instead of refusing when it holds data.
    pub replace: bool,
}

/// What a run inserted.
#[derive(Debug, Default)]
pub struct Seeded {
    pub rows: Vec<(&'static str, usize)>,
    pub seconds: f64,
}

/// Tables emptied by `--replace` (every table referring to users goes with them).
const ALL_TABLES: &str = "users, otp_verifications, jobs, rate_limit_events";

pub async fn seed(
    db: &DatabaseConnection,
    options: SeedOptions,
    progress: bool,
) -> Result<Seeded, BoxError> {
    if options.users < 1 {
        return Err("--users must be at least 1".into());
    }
    let occupied = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT (EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM otp_verifications) \
             OR EXISTS (SELECT 1 FROM jobs)) AS occupied",
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "occupied"))
        .transpose()?
        .unwrap_or(false);
    if occupied && !options.replace {
        return Err(
            "the database already holds data; seed an empty one, or pass --replace \
                    to delete everything in it first"
                .into(),
        );
    }
    // Also restarts the id counters, so a second run gives the same ids.
    db.execute_unprepared(&format!("TRUNCATE {ALL_TABLES} RESTART IDENTITY CASCADE"))
        .await?;

    let started = Instant::now();
    // One hash for all: argon2 at the production cost takes tens of milliseconds each. The
    // salt comes from the seed, so the rows are the same on every run.
    let salt = format!("echo-seed-{:016x}", options.seed);
    let hash = tokio::task::spawn_blocking(move || {
        password::hash_with_salt(SEED_PASSWORD, salt.as_bytes())
    })
    .await??;

    let bar = if progress {
        ProgressBar::new(u64::from(options.users.unsigned_abs()))
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} users, {per_sec}, {elapsed} elapsed, about {eta} left",
    )?);
    let pool = db.get_postgres_connection_pool();
    let mut ids = Counters::default();
    let mut batch = Batch::default();
    let mut totals: Vec<(&'static str, usize)> = Vec::new();
    let mut first = 1;
    while first <= options.users {
        let last = (first + BATCH_USERS - 1).min(options.users);
        for id in first..=last {
            generate::user(&mut batch, &mut ids, options.seed, id, options.users, &hash);
        }
        for table in batch.tables_mut() {
            if table.rows > 0 {
                let mut copy = pool.copy_in_raw(&table.copy_statement()).await?;
                copy.send(table.csv.as_bytes()).await?;
                copy.finish().await?;
            }
            match totals.iter_mut().find(|(name, _)| *name == table.name) {
                Some((_, count)) => *count += table.rows,
                None => totals.push((table.name, table.rows)),
            }
            table.clear();
        }
        bar.inc(u64::from((last - first + 1).unsigned_abs()));
        first = last + 1;
    }
    bar.finish_and_clear();

    // Ids were given explicitly: move each table's identity past them.
    for (table, _) in &totals {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} \
             HAVING max(id) IS NOT NULL"
        ))
        .await?;
    }
    db.execute_unprepared("ANALYZE").await?;
    Ok(Seeded {
        rows: totals,
        seconds: started.elapsed().as_secs_f64(),
    })
}
