//! Plain resolution: objects whose selected fields are all plain values (read from a row, no
//! arguments, no loader, no error possible) are answered in one pass over the selection,
//! without a future per field.
//!
//! async-graphql resolves every field as a boxed future joined through a `FuturesUnordered`
//! and inserts it into a map hashed with SipHash: about 1,800 CPU instructions per field,
//! which on the home screen (a hundred and fifty objects, most of them chat messages and
//! their edges) was half of the server's CPU (docs/benchmarks.md). Here a connection, its
//! edges, page info and nodes are built directly when the selection allows it; a selection
//! with anything else (`totalCount`, a field that loads, a directive, a fragment on another
//! type, the same object field selected twice) goes through async-graphql's resolver,
//! unchanged. The values are made by the same conversions async-graphql's resolver uses
//! (`InputType::to_value`), and the tests compare both paths field by field.

use std::{borrow::Cow, ops::Deref};

use async_graphql::{
    ContextSelectionSet, InputType, Name, OutputType, Positioned, ServerResult, Value,
    connection::{Connection, CursorType, EmptyFields},
    indexmap::{IndexMap, map::Entry},
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
};

use crate::pagination::{count::TotalCount, cursor::Cursor};

/// An object whose fields can be read without async-graphql's resolver.
pub trait PlainFields: OutputType {
    /// The value of `field` (named as in the schema) when it is plain; `None` sends the whole
    /// object through async-graphql's resolver.
    fn plain_field(&self, _ctx: &ContextSelectionSet<'_>, _field: &str) -> Option<Value> {
        None
    }
}

/// A field's value as async-graphql's resolver would produce it.
pub fn value<T: InputType>(value: T) -> Value {
    value.to_value()
}

/// An instant's value (the `DateTime` scalar).
pub fn time(at: impl Into<crate::scalars::DateTime>) -> Value {
    value(at.into())
}

/// A nullable instant's value.
pub fn optional_time<T: Into<crate::scalars::DateTime>>(at: Option<T>) -> Value {
    value(at.map(Into::into))
}

/// A text field's value (async-graphql's `&str` and `String` output).
pub fn text(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// A nullable text field's value.
pub fn optional_text(text: Option<&str>) -> Value {
    text.map_or(Value::Null, self::text)
}

/// A list-of-text field's value.
pub fn texts(texts: &[String]) -> Value {
    Value::List(texts.iter().map(|t| text(t)).collect())
}

/// A JSON field's value as async-graphql's `Json` output type produces it.
pub fn json(value: &serde_json::Value) -> Value {
    crate::scalars::json_value(value)
}

/// The object of type `type_name` with the fields `ctx` selects, each from `field`; `None`
/// when a selection needs async-graphql's resolver.
fn object(
    ctx: &ContextSelectionSet<'_>,
    type_name: &str,
    field: &mut impl FnMut(&ContextSelectionSet<'_>, &Positioned<Field>) -> Option<Value>,
) -> Option<Value> {
    let mut fields = IndexMap::with_capacity(ctx.item.node.items.len());
    collect(ctx, &ctx.item.node, type_name, field, &mut fields)?;
    // As async-graphql: an object without fields is null.
    Some(if fields.is_empty() {
        Value::Null
    } else {
        Value::Object(fields)
    })
}

fn collect(
    ctx: &ContextSelectionSet<'_>,
    set: &SelectionSet,
    type_name: &str,
    field: &mut impl FnMut(&ContextSelectionSet<'_>, &Positioned<Field>) -> Option<Value>,
    fields: &mut IndexMap<Name, Value>,
) -> Option<()> {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(selected) => {
                if !selected.node.directives.is_empty() {
                    return None;
                }
                let key = selected.node.response_key().node.clone();
                match fields.entry(key) {
                    Entry::Vacant(entry) => {
                        entry.insert(if selected.node.name.node == "__typename" {
                            Value::String(type_name.to_owned())
                        } else {
                            field(ctx, selected)?
                        });
                    }
                    // Selected twice: async-graphql keeps the first value of a leaf and merges
                    // objects and lists; leave the merging to it.
                    Entry::Occupied(entry) => {
                        if matches!(entry.get(), Value::Object(_) | Value::List(_)) {
                            return None;
                        }
                    }
                }
            }
            Selection::FragmentSpread(spread) => {
                if !spread.node.directives.is_empty() {
                    return None;
                }
                let fragment = ctx
                    .query_env
                    .fragments
                    .get(&spread.node.fragment_name.node)?;
                if fragment.node.type_condition.node.on.node != type_name {
                    return None;
                }
                collect(
                    ctx,
                    &fragment.node.selection_set.node,
                    type_name,
                    field,
                    fields,
                )?;
            }
            Selection::InlineFragment(fragment) => {
                let applies = fragment
                    .node
                    .type_condition
                    .as_ref()
                    .is_none_or(|condition| condition.node.on.node == type_name);
                if !fragment.node.directives.is_empty() || !applies {
                    return None;
                }
                collect(
                    ctx,
                    &fragment.node.selection_set.node,
                    type_name,
                    field,
                    fields,
                )?;
            }
        }
    }
    Some(())
}

/// The node `node` as the selection of `field` asks, if plain.
fn node<N: PlainFields>(
    ctx: &ContextSelectionSet<'_>,
    field: &Positioned<Field>,
    node: &N,
) -> Option<Value> {
    let ctx = ctx.with_selection_set(&field.node.selection_set);
    object(&ctx, &N::type_name(), &mut |ctx, f| {
        node.plain_field(ctx, &f.node.name.node)
    })
}

type Inner<N> = Connection<Cursor, N, TotalCount, EmptyFields>;

/// A Relay connection (the schema's `XConnection`), answered plainly when it can be.
pub struct Page<N: OutputType>(pub Inner<N>);

impl<N: OutputType> Deref for Page<N> {
    type Target = Inner<N>;
    fn deref(&self) -> &Inner<N> {
        &self.0
    }
}

impl<N: OutputType> std::ops::DerefMut for Page<N> {
    fn deref_mut(&mut self) -> &mut Inner<N> {
        &mut self.0
    }
}

impl<N: PlainFields> Page<N> {
    fn plain(&self, ctx: &ContextSelectionSet<'_>) -> Option<Value> {
        let edge_type = format!("{}Edge", N::type_name());
        object(
            ctx,
            &Inner::<N>::type_name(),
            &mut |ctx, field| match field.node.name.node.as_str() {
                "edges" => {
                    let ctx = ctx.with_selection_set(&field.node.selection_set);
                    let mut edges = Vec::with_capacity(self.0.edges.len());
                    for edge in &self.0.edges {
                        edges.push(object(&ctx, &edge_type, &mut |ctx, field| match field
                            .node
                            .name
                            .node
                            .as_str()
                        {
                            "cursor" => Some(Value::String(edge.cursor.encode_cursor())),
                            "node" => node(ctx, field, &edge.node),
                            _ => None,
                        })?);
                    }
                    Some(Value::List(edges))
                }
                "nodes" => self
                    .0
                    .edges
                    .iter()
                    .map(|edge| node(ctx, field, &edge.node))
                    .collect::<Option<Vec<_>>>()
                    .map(Value::List),
                "pageInfo" => {
                    let ctx = ctx.with_selection_set(&field.node.selection_set);
                    let cursor =
                        |edge: Option<&async_graphql::connection::Edge<Cursor, N, EmptyFields>>| {
                            value(edge.map(|edge| edge.cursor.encode_cursor()))
                        };
                    object(
                        &ctx,
                        "PageInfo",
                        &mut |_, field| match field.node.name.node.as_str() {
                            "hasPreviousPage" => Some(value(self.0.has_previous_page)),
                            "hasNextPage" => Some(value(self.0.has_next_page)),
                            "startCursor" => Some(cursor(self.0.edges.first())),
                            "endCursor" => Some(cursor(self.0.edges.last())),
                            _ => None,
                        },
                    )
                }
                _ => None,
            },
        )
    }
}

impl<N: PlainFields> OutputType for Page<N> {
    fn type_name() -> Cow<'static, str> {
        Inner::<N>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        let name = Inner::<N>::create_type_info(registry);
        // async-graphql gives connection types no description; say what they are.
        if let Some(async_graphql::registry::MetaType::Object { description, .. }) =
            registry.types.get_mut(Inner::<N>::type_name().as_ref())
            && description.is_none()
        {
            *description = Some(format!(
                "A page of {}s (a Relay connection): `edges` or `nodes`, `pageInfo` to page \
                 further, and `totalCount` for the whole list.",
                N::type_name()
            ));
        }
        name
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match self.plain(ctx) {
            Some(value) => {
                #[cfg(test)]
                PLAIN_ANSWERS.set(PLAIN_ANSWERS.get() + 1);
                Ok(value)
            }
            None => self.0.resolve(ctx, field).await,
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Connections the plain path answered on this thread, for the tests.
    static PLAIN_ANSWERS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    //! The plain path and async-graphql's resolver give the same response, byte for byte, for
    //! every field of the plain types and the shapes a client can select them in.

    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
    use chrono::{DateTime, FixedOffset};
    use entity::{chat_messages, chat_sessions, health_assessments, medical_reports};
    use rust_decimal::Decimal;
    use serde_json::json;

    use super::*;
    use crate::{
        assessments::types::HealthAssessment,
        chat::types::{ChatMessage, ChatSession},
        pagination::test_page,
        reports::types::MedicalReport,
    };

    fn at(seconds: i64) -> DateTime<FixedOffset> {
        DateTime::from_timestamp(1_764_000_000 + seconds, 123_000)
            .unwrap()
            .fixed_offset()
    }

    fn messages() -> Page<ChatMessage> {
        let rows = (1..=3).map(|id| chat_messages::Model {
            id,
            session_id: 7,
            sender_type: if id % 2 == 0 { "assistant" } else { "user" }.into(),
            message_content: format!("message \"{id}\"\nwith a line break"),
            message_type: "text".into(),
            metadata: json!({ "model": "built-in", "latencyMs": id * 10, "flags": [] }),
            created_at: at(id.into()),
            client_message_id: (id == 1).then(|| "client-1".into()),
            reply_to_id: None,
        });
        let nodes = rows
            .map(|row| {
                let key = (row.created_at.to_utc(), i64::from(row.id));
                (key, ChatMessage::try_from(row).unwrap())
            })
            .collect();
        test_page(nodes, true)
    }

    fn sessions() -> Page<ChatSession> {
        let rows = [(7, None), (6, Some(at(50)))].map(|(id, ended_at)| chat_sessions::Model {
            id,
            user_id: 3,
            session_type: "general".into(),
            is_active: ended_at.is_none(),
            started_at: at(i64::from(id)),
            ended_at,
            total_messages: 12,
        });
        let nodes = rows
            .into_iter()
            .map(|row| {
                let key = (row.started_at.to_utc(), i64::from(row.id));
                (key, ChatSession::try_from(row).unwrap())
            })
            .collect();
        test_page(nodes, false)
    }

    fn assessments() -> Page<HealthAssessment> {
        let rows = [(1, Some(Decimal::new(1234, 4))), (2, None)].map(|(id, probability)| {
            health_assessments::Model {
                id,
                user_id: 3,
                assessment_type: "bmi".into(),
                risk_score: 27,
                risk_level: "moderate".into(),
                probability,
                assessment_data: json!({ "bmi": 27.1, "band": "overweight" }),
                recommendations: vec!["Walk daily".into(), "Eat vegetables".into()],
                warning_signs: vec![],
                next_steps: vec!["Measure again in a month".into()],
                is_api_result: id == 2,
                created_at: at(100 + i64::from(id)),
            }
        });
        let nodes = rows
            .into_iter()
            .map(|row| {
                let key = (row.created_at.to_utc(), i64::from(row.id));
                (key, HealthAssessment::try_from(row).unwrap())
            })
            .collect();
        test_page(nodes, false)
    }

    fn reports() -> Page<MedicalReport> {
        let row = medical_reports::Model {
            id: 5,
            user_id: 3,
            report_type: "lab_result".into(),
            file_name: "labs.pdf".into(),
            file_path: "reports/3/x".into(),
            file_size: 1283,
            mime_type: "application/pdf".into(),
            upload_date: at(200),
            analysis_status: "completed".into(),
            analysis_result: Some(json!({ "analytes": [], "summary": "fine" })),
            ai_insights: Some("All values are in range.".into()),
            doctor_notes: None,
            is_archived: false,
            title: None,
            content_sha256: Some("ab".repeat(32)),
            analysis_error: None,
            analyzed_at: Some(at(201)),
            doctor_notes_author_id: None,
            doctor_notes_updated_at: None,
        };
        let key = (row.upload_date.to_utc(), i64::from(row.id));
        test_page(vec![(key, MedicalReport::try_from(row).unwrap())], false)
    }

    /// Each list twice: as the server shows it (plain when it can be), and through
    /// async-graphql's resolver only.
    struct Query;

    #[Object]
    impl Query {
        async fn plain_messages(&self) -> Page<ChatMessage> {
            messages()
        }
        async fn resolver_messages(&self) -> Inner<ChatMessage> {
            messages().0
        }
        async fn plain_sessions(&self) -> Page<ChatSession> {
            sessions()
        }
        async fn resolver_sessions(&self) -> Inner<ChatSession> {
            sessions().0
        }
        async fn plain_assessments(&self) -> Page<HealthAssessment> {
            assessments()
        }
        async fn resolver_assessments(&self) -> Inner<HealthAssessment> {
            assessments().0
        }
        async fn plain_reports(&self) -> Page<MedicalReport> {
            reports()
        }
        async fn resolver_reports(&self) -> Inner<MedicalReport> {
            reports().0
        }
        /// The fields of one of the plain types that its `plain_field` leaves to the resolver.
        async fn not_plain(
            &self,
            ctx: &async_graphql::Context<'_>,
            type_name: String,
        ) -> Vec<String> {
            let registry = &ctx.schema_env.registry;
            let fields: Vec<String> = match registry.types.get(&type_name) {
                Some(async_graphql::registry::MetaType::Object { fields, .. }) => {
                    fields.keys().cloned().collect()
                }
                _ => panic!("no object type {type_name}"),
            };
            let ctx = ctx.with_selection_set(&ctx.item.node.selection_set);
            let value = |field: &str| -> Option<Value> {
                match type_name.as_str() {
                    "ChatMessage" => messages().0.edges[0].node.plain_field(&ctx, field),
                    "ChatSession" => sessions().0.edges[0].node.plain_field(&ctx, field),
                    "HealthAssessment" => assessments().0.edges[0].node.plain_field(&ctx, field),
                    "MedicalReport" => reports().0.edges[0].node.plain_field(&ctx, field),
                    other => panic!("not a plain type: {other}"),
                }
            };
            fields
                .into_iter()
                .filter(|field| !field.starts_with("__") && value(field).is_none())
                .collect()
        }
    }

    fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).finish()
    }

    /// The plain and the resolver's answer, and whether the plain path gave the first.
    async fn both(list: &str, selection: &str, fragments: &str) -> (String, String, bool) {
        let query =
            format!("{{ a: plain{list} {selection} b: resolver{list} {selection} }} {fragments}");
        PLAIN_ANSWERS.set(0);
        let response = schema().execute(query.as_str()).await;
        let plain = PLAIN_ANSWERS.get() == 1;
        assert!(response.errors.is_empty(), "{query}: {:?}", response.errors);
        let data = serde_json::to_value(&response.data).unwrap();
        // Serialised strings: equal values in the same key order.
        (data["a"].to_string(), data["b"].to_string(), plain)
    }

    const MESSAGE_FIELDS: &str = "id senderType content messageType metadata createdAt __typename";
    const ASSESSMENT_FIELDS: &str = "id assessmentType riskScore riskLevel probability \
        assessmentData recommendations warningSigns nextSteps isApiResult createdAt";
    const REPORT_FIELDS: &str = "id reportType title downloadUrl contentSha256 fileName \
        fileSize mimeType uploadDate analysisStatus analysisError analyzedAt analysisResult \
        aiInsights doctorNotes doctorNotesUpdatedAt isArchived";

    #[tokio::test]
    async fn the_plain_path_answers_as_the_resolver_does() {
        let page_info = "pageInfo { hasPreviousPage hasNextPage startCursor endCursor }";
        // (list, selection, fragments, answered plainly)
        let cases = [
            ("Messages", format!("{{ __typename {page_info} edges {{ __typename cursor node {{ {MESSAGE_FIELDS} }} }} nodes {{ id }} }}"), "", true),
            ("Assessments", format!("{{ edges {{ node {{ {ASSESSMENT_FIELDS} }} }} }}"), "", true),
            ("Reports", format!("{{ edges {{ cursor node {{ {REPORT_FIELDS} }} }} }}"), "", true),
            ("Sessions", "{ nodes { id sessionType isActive startedAt endedAt totalMessages } }".into(), "", true),
            ("Messages", "{ e: edges { c: cursor n: node { i: id t: content } } p: pageInfo { n: hasNextPage } }".into(), "", true),
            ("Messages", "{ ...Page edges { node { ... on ChatMessage { id } ...Message content } } }".into(),
             "fragment Page on ChatMessageConnection { pageInfo { endCursor } } fragment Message on ChatMessage { createdAt id }", true),
            ("Messages", "{ edges { node { id id content } } }".into(), "", true),
            // The same list field twice is merged by async-graphql.
            ("Messages", "{ edges { cursor } edges { node { id } } }".into(), "", false),
            // async-graphql has applied @skip and @include before anything resolves.
            ("Messages", "{ edges { node { id content @include(if: true) c: content @skip(if: true) } } }".into(), "", true),
            ("Reports", "{ edges { node { id labResults { name } } } }".into(), "", false),
        ];
        for (list, selection, fragments, plainly) in cases {
            let (plain, resolver, answered_plainly) = both(list, &selection, fragments).await;
            assert_eq!(plain, resolver, "{list} {selection}");
            assert_eq!(answered_plainly, plainly, "{list} {selection}");
        }
    }

    /// The fields of `type_name` whose `plain_field` gives no value, asked inside a request
    /// (`plain_field` reads the request's data).
    async fn not_plain(type_name: &str) -> Vec<String> {
        let query = format!("{{ notPlain(typeName: \"{type_name}\") }}");
        let response = schema().execute(query.as_str()).await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        let data = serde_json::to_value(response.data).unwrap();
        data["notPlain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn every_field_of_the_plain_types_is_plain_but_the_loaded_ones() {
        // Typed objects (`replyDetails`, `result`, `aiReview`, `analysis`) have selections of
        // their own: asking for one sends the object through the resolver.
        assert_eq!(not_plain("ChatMessage").await, ["replyDetails"]);
        assert_eq!(not_plain("ChatSession").await, ["messages"]);
        assert_eq!(not_plain("HealthAssessment").await, ["result", "aiReview"]);
        assert_eq!(
            not_plain("MedicalReport").await,
            ["analysis", "labResults", "doctorNotesBy"]
        );
    }
}
