//! The GraphQL schema: one query object per domain area, merged.

use async_graphql::{
    MergedObject, MergedSubscription, Request, Schema, SchemaBuilder,
    dataloader::DataLoader,
    extensions::apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage},
};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    assessments::{
        graphql::{AssessmentsMutation, AssessmentsQuery},
        loaders::{AssessmentsByUserId, TrendLoader},
    },
    auth::{
        loaders::SessionsByUserId, mutation::AuthMutation, query::AuthQuery,
        single_check::SingleSecretCheck,
    },
    chat::{
        events::EventHub,
        graphql::{ChatMutation, ChatQuery, ChatSubscription},
        loaders::{ChatSessionsByUserId, MessagesBySessionId},
    },
    config::Settings,
    context::{ClientInfo, MaybeViewer},
    operation_limits::OperationLimits,
    pagination::{CountLoader, PageLoader},
    reports::{
        graphql::{ReportsMutation, ReportsQuery},
        loaders::ReportsByUserId,
    },
    services::SharedServices,
    settings::{graphql::SettingsMutation, loaders::SettingsByUserId},
    users::{mutation::UsersMutation, query::UsersQuery},
};

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    UsersQuery,
    AuthQuery,
    AssessmentsQuery,
    ReportsQuery,
    ChatQuery,
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
        .data(DataLoader::new(
            CountLoader::new(db.clone(), now),
            tokio::spawn,
        ))
        .data(DataLoader::new(TrendLoader::new(db.clone()), tokio::spawn))
}

struct PageLoaderFactory {
    db: DatabaseConnection,
    now: DateTime<Utc>,
}

impl PageLoaderFactory {
    fn make<R: crate::pagination::ChildRelation>(&self) -> DataLoader<PageLoader<R>> {
        DataLoader::new(
            PageLoader::<R>::new(self.db.clone(), self.now),
            tokio::spawn,
        )
    }
}
