//! The GraphQL schema: one query object per domain area, merged.

use std::time::Duration;

use async_graphql::{
    MergedObject, MergedSubscription, Request, Schema, SchemaBuilder,
    dataloader::DataLoader,
    extensions::apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage},
};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    admin::graphql::{AdminMutation, AdminQuery},
    assessments::{
        graphql::{AssessmentsMutation, AssessmentsQuery},
        loaders::{AssessmentsByUserId, TrendLoader},
    },
    auth::{
        loaders::SessionsByUserId, mutation::AuthMutation, query::AuthQuery,
        single_check::SingleSecretCheck,
    },
    care_team::{
        graphql::{CareTeamMutation, CareTeamQuery},
        loaders::{GrantsByPatientId, LiveGrantsByClinicianId},
    },
    chat::{
        events::EventHub,
        graphql::{ChatMutation, ChatQuery, ChatSubscription},
        loaders::{ChatSessionsByUserId, MessagesBySessionId},
    },
    config::Settings,
    context::{ClientInfo, MaybeViewer, PrimaryDb},
    export::{ExportsByUserId, graphql::ExportMutation},
    operation_limits::OperationLimits,
    pagination::{CountLoader, PageLoader},
    reports::{
        graphql::{ReportsMutation, ReportsQuery},
        loaders::ReportsByUserId,
    },
    services::SharedServices,
    settings::{graphql::SettingsMutation, loaders::SettingsByUserId},
    users::{
        loaders::{LastActiveByUserId, UsersById},
        mutation::UsersMutation,
        query::UsersQuery,
    },
};

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    UsersQuery,
    AuthQuery,
    AssessmentsQuery,
    ReportsQuery,
    ChatQuery,
    CareTeamQuery,
    AdminQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    AuthMutation,
    UsersMutation,
    AssessmentsMutation,
    ReportsMutation,
    ChatMutation,
    SettingsMutation,
    CareTeamMutation,
    AdminMutation,
    ExportMutation,
);

#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(ChatSubscription);

pub type ApiSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .extension(SingleSecretCheck)
}

/// The schema the server runs, with the operation limits of `settings`.
pub fn build(
    db: DatabaseConnection,
    services: SharedServices,
    events: EventHub,
    settings: &Settings,
) -> ApiSchema {
    let mut schema = builder()
        .data(PrimaryDb(db.clone()))
        .data(db)
        .data(services)
        .data(events)
        .limit_depth(settings.graphql_depth_limit)
        .limit_complexity(settings.graphql_complexity_limit)
        .extension(OperationLimits {
            max_root_fields: settings.graphql_max_root_fields,
            max_aliases: settings.graphql_max_aliases,
        });
    if settings.apq_cache_size > 0 {
        schema = schema.extension(ApolloPersistedQueries::new(LruCacheStorage::new(
            settings.apq_cache_size,
        )));
    }
    if !settings
        .graphql_introspection
        .unwrap_or(!settings.production)
    {
        schema = schema.disable_introspection();
    }
    if !settings.graphql_suggestions.unwrap_or(!settings.production) {
        schema = schema.disable_suggestions();
    }
    schema.finish()
}

/// The SDL committed as `schema.graphql`.
pub fn export_sdl() -> String {
    builder().finish().sdl()
}

/// Attaches what one request needs: its caller and fresh DataLoaders. Loaders are built per
/// request, so nothing one caller loaded can be served to another.
/// `now` is the request's time.
pub fn prepare_request(
    request: Request,
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    viewer: MaybeViewer,
    client: ClientInfo,
    batch_window: Duration,
) -> Request {
    let loaders = Loaders {
        db: db.clone(),
        now,
        batch_window,
    };
    request
        // The request's own connection (primary or replica) over the schema's primary.
        .data(db.clone())
        .data(viewer)
        .data(client)
        .data(loaders.page::<AssessmentsByUserId>())
        .data(loaders.page::<ReportsByUserId>())
        .data(loaders.page::<ChatSessionsByUserId>())
        .data(loaders.page::<MessagesBySessionId>())
        .data(loaders.page::<SessionsByUserId>())
        .data(loaders.page::<SettingsByUserId>())
        .data(loaders.page::<GrantsByPatientId>())
        .data(loaders.page::<LiveGrantsByClinicianId>())
        .data(loaders.page::<ExportsByUserId>())
        .data(loaders.make(UsersById::new(db.clone())))
        .data(loaders.make(LastActiveByUserId::new(db.clone())))
        .data(loaders.make(CountLoader::new(db.clone(), now)))
        .data(loaders.make(TrendLoader::new(db.clone())))
}

/// Builds one request's loaders. `batch_window` (GRAPHQL_BATCH_WINDOW_MS) is how long a loader
/// collects keys before its statement runs. The window opens when the request first yields,
/// and resolving a list of more than 30 objects yields part-way (its futures run under a
/// cooperative budget); if the window closes before the rest of the list has asked, the
/// relation costs a second statement. async-graphql's 1 ms default was too short for a page
/// of 50 patients in a debug build.
struct Loaders {
    db: DatabaseConnection,
    now: DateTime<Utc>,
    batch_window: Duration,
}

impl Loaders {
    fn make<T: Send + Sync + 'static>(&self, inner: T) -> DataLoader<T> {
        DataLoader::new(inner, tokio::spawn).delay(self.batch_window)
    }

    fn page<R: crate::pagination::ChildRelation>(&self) -> DataLoader<PageLoader<R>> {
        self.make(PageLoader::<R>::new(self.db.clone(), self.now))
    }
}
