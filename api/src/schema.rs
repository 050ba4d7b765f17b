//! The GraphQL schema: one query object per domain area, merged.

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
    context::{ClientInfo, MaybeViewer},
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
) -> Request {
    let pages = PageLoaderFactory {
        db: db.clone(),
        now,
    };
    request
        .data(viewer)
        .data(client)
        .data(pages.make::<AssessmentsByUserId>())
        .data(pages.make::<ReportsByUserId>())
        .data(pages.make::<ChatSessionsByUserId>())
        .data(pages.make::<MessagesBySessionId>())
        .data(pages.make::<SessionsByUserId>())
        .data(pages.make::<SettingsByUserId>())
        .data(pages.make::<GrantsByPatientId>())
        .data(pages.make::<LiveGrantsByClinicianId>())
        .data(pages.make::<ExportsByUserId>())
        .data(loader(UsersById::new(db.clone())))
        .data(loader(LastActiveByUserId::new(db.clone())))
        .data(loader(CountLoader::new(db.clone(), now)))
        .data(loader(TrendLoader::new(db.clone())))
}

/// How long a loader collects keys before its statement runs. The window opens when the
/// request first yields, and resolving a list of more than 30 objects yields part-way (its
/// futures run under a cooperative budget); async-graphql's 1 ms default then closes before
/// the rest of the list has asked, and a page of 50 patients cost an extra statement per
/// relation. 5 ms covers a page of 100 in a debug build; it is the price of a constant
/// statement count, paid once per nesting level.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(5);

fn loader<T: Send + Sync + 'static>(inner: T) -> DataLoader<T> {
    DataLoader::new(inner, tokio::spawn).delay(BATCH_WINDOW)
}

struct PageLoaderFactory {
    db: DatabaseConnection,
    now: DateTime<Utc>,
}

impl PageLoaderFactory {
    fn make<R: crate::pagination::ChildRelation>(&self) -> DataLoader<PageLoader<R>> {
        loader(PageLoader::<R>::new(self.db.clone(), self.now))
    }
}
