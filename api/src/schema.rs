//! The GraphQL schema: one query object per domain area, merged.

use async_graphql::{
    MergedObject, MergedSubscription, Request, SDLExportOptions, Schema, SchemaBuilder,
    ValidationMode,
};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    admin::graphql::{AdminMutation, AdminQuery},
    assessments::graphql::{AssessmentsMutation, AssessmentsQuery},
    auth::graphql::{AuthMutation, AuthQuery},
    batching::Loaders,
    care_team::graphql::{CareTeamMutation, CareTeamQuery},
    chat::{
        events::EventHub,
        graphql::{ChatMutation, ChatQuery, ChatSubscription},
    },
    config::Settings,
    context::{ClientInfo, MaybeViewer, PrimaryDb},
    export::graphql::ExportMutation,
    read_pool::ReadPool,
    reports::graphql::{ReportsMutation, ReportsQuery},
    services::SharedServices,
    settings::graphql::SettingsMutation,
    users::graphql::{UsersMutation, UsersQuery},
};

/// Reads: the signed-in person (`me`) and their records, the assessment instruments, and for
/// staff the patient and account lists. Send `Authorization: Bearer <token>`.
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

/// Changes: signing up and in, the profile, assessments, reports, chat, settings, care-team
/// access and staff actions. Each names what it changes and returns it.
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

/// Live events over the WebSocket at `/graphql/ws` (graphql-transport-ws), authenticated in
/// `connection_init`.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(ChatSubscription);

pub type ApiSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema has no extensions: async-graphql runs every extension around every field it
/// resolves. The checks that were extensions run once per document (`documents`).
fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    // No field returns it: it is in the schema so that generated clients get the closed list
    // of `extensions.code` values to switch on.
    .register_output_type::<crate::error::ErrorCode>()
}

/// The schema the server runs, with the depth and complexity limits of `settings`. The
/// databases are per request (`prepare_request`): each HTTP worker has its own pool.
///
/// `ValidationMode::Fast` keeps only the checks that depend on more than the document (the
/// depth and complexity limits, fragment cycles, uploads); the server uses it for a document
/// whose operation has no variables and already passed the full validation (`documents`).
pub fn build(
    services: SharedServices,
    events: EventHub,
    settings: &Settings,
    validation: ValidationMode,
) -> ApiSchema {
    let mut schema = builder()
        .validation_mode(validation)
        .data(services)
        .data(events)
        .limit_depth(settings.graphql.graphql_depth_limit)
        .limit_complexity(settings.graphql.graphql_complexity_limit);
    if !settings
        .graphql
        .graphql_introspection
        .unwrap_or(!settings.server.production)
    {
        schema = schema.disable_introspection();
    }
    if !settings
        .graphql
        .graphql_suggestions
        .unwrap_or(!settings.server.production)
    {
        schema = schema.disable_suggestions();
    }
    schema.finish()
}

/// The SDL committed as `schema.graphql`, with the scalars' `@specifiedBy` URLs.
pub fn export_sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().include_specified_by())
}

/// What one request runs with besides its document.
pub struct RequestData<'a> {
    /// Where the request reads: the primary, or the replica (`AppState::database_for`).
    pub db: &'a ReadPool,
    /// Where it writes, and reads what must be current (an audit record while answering a query).
    pub primary: &'a DatabaseConnection,
    /// The request's time.
    pub now: DateTime<Utc>,
    pub viewer: MaybeViewer,
    pub client: ClientInfo,
    /// Signed download links for the viewer (none without one).
    pub links: Option<crate::http::links::Links>,
}

/// Attaches what one request needs: its databases, caller, client and its own loaders, built
/// on first use, so nothing one caller loaded can be served to another.
pub fn prepare_request(request: Request, data: RequestData<'_>) -> Request {
    request
        .data(data.db.connection().clone())
        .data(PrimaryDb(data.primary.clone()))
        .data(data.viewer)
        .data(data.client)
        .data(Loaders::new(data.db.clone(), data.now))
        .data(data.links)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use async_graphql::{
        Positioned,
        parser::{
            parse_schema,
            types::{TypeKind, TypeSystemDefinition},
        },
    };

    fn described(description: &Option<Positioned<String>>) -> bool {
        description
            .as_ref()
            .is_some_and(|d| !d.node.trim().is_empty())
    }

    /// Every place in the SDL that a client developer reads and that has no description.
    fn undescribed() -> Vec<String> {
        let sdl = super::export_sdl();
        let document = parse_schema(&sdl).expect("the exported SDL parses");
        let mut missing = Vec::new();
        for definition in &document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let ty = &ty.node;
            let name = ty.name.node.as_str();
            if !described(&ty.description) {
                missing.push(format!("type {name}"));
            }
            match &ty.kind {
                TypeKind::Object(object) => {
                    for field in &object.fields {
                        let field = &field.node;
                        if !described(&field.description) {
                            missing.push(format!("{name}.{}", field.name.node));
                        }
                        for argument in &field.arguments {
                            if !described(&argument.node.description) {
                                missing.push(format!(
                                    "{name}.{}({})",
                                    field.name.node, argument.node.name.node
                                ));
                            }
                        }
                    }
                }
                TypeKind::InputObject(input) => {
                    for field in &input.fields {
                        if !described(&field.node.description) {
                            missing.push(format!("{name}.{} (input)", field.node.name.node));
                        }
                    }
                }
                TypeKind::Enum(values) => {
                    for value in &values.values {
                        if !described(&value.node.description) {
                            missing.push(format!("{name}.{} (value)", value.node.value.node));
                        }
                    }
                }
                _ => {}
            }
        }
        missing
    }

    #[test]
    fn every_type_field_argument_input_field_and_enum_value_is_described() {
        let missing = undescribed();
        assert!(
            missing.is_empty(),
            "{} places without a description:\n{}",
            missing.len(),
            missing.join("\n")
        );
    }
}
