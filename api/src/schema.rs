//! The GraphQL schema: one query object per domain area, merged.

use async_graphql::{
    EmptyMutation, EmptySubscription, MergedObject, Request, Schema, SchemaBuilder,
    dataloader::DataLoader,
};
use sea_orm::DatabaseConnection;

use crate::{
    assessments::loaders::AssessmentsByUserId,
    auth::{loaders::SessionsByUserId, query::AuthQuery},
    chat::loaders::{ChatSessionsByUserId, MessagesBySessionId},
    context::MaybeViewer,
    pagination::{CountLoader, PageLoader},
    reports::loaders::ReportsByUserId,
    settings::loaders::SettingsByUserId,
    users::query::UsersQuery,
};

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(UsersQuery, AuthQuery);

pub type ApiSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

fn builder() -> SchemaBuilder<QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
}

/// The schema the server runs.
pub fn build(db: DatabaseConnection, depth_limit: usize) -> ApiSchema {
    builder().data(db).limit_depth(depth_limit).finish()
}

/// The SDL committed as `schema.graphql`.
pub fn export_sdl() -> String {
    builder().finish().sdl()
}

/// Attaches what one request needs: its caller and fresh DataLoaders. Loaders are built per
/// request, so nothing one caller loaded can be served to another.
pub fn prepare_request(request: Request, db: &DatabaseConnection, viewer: MaybeViewer) -> Request {
    fn page<R: crate::pagination::ChildRelation>(
        db: &DatabaseConnection,
    ) -> DataLoader<PageLoader<R>> {
        DataLoader::new(PageLoader::<R>::new(db.clone()), tokio::spawn)
    }
    request
        .data(viewer)
        .data(page::<AssessmentsByUserId>(db))
        .data(page::<ReportsByUserId>(db))
        .data(page::<ChatSessionsByUserId>(db))
        .data(page::<MessagesBySessionId>(db))
        .data(page::<SessionsByUserId>(db))
        .data(page::<SettingsByUserId>(db))
        .data(DataLoader::new(CountLoader::new(db.clone()), tokio::spawn))
}
