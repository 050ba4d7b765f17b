//! Assessment queries and mutations: thin resolvers over the engine and `service`.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::health_assessments;
use sea_orm::{ColumnTrait, TransactionTrait};

use super::{
    engine::{self, FieldKind, FieldSpec, InstrumentInfo},
    enrich,
    input::CreateHealthAssessmentInput,
    loaders::{AssessmentsByUserId, TrendKey, TrendLoader},
    service,
    types::HealthAssessment,
};
use crate::{
    context::{db, parse_id, services, viewer},
    enums::{AssessmentType, RiskLevel},
    error::AppError,
    pagination::{Filter, Page, PageArgs, load_page},
    scalars,
};

/// The filters of a health-assessment list (the caller's own, or a patient's).
pub struct AssessmentFilters {
    pub assessment_type: Option<AssessmentType>,
    pub from: Option<scalars::DateTime>,
    pub to: Option<scalars::DateTime>,
}

/// `user_id`'s health assessments, newest first, narrowed by `filters`; batched with every
/// other user's page of the request. Access is the caller's to check.
pub async fn assessments_page(
    ctx: &Context<'_>,
    user_id: i32,
    filters: AssessmentFilters,
    args: PageArgs,
) -> Result<Page<HealthAssessment>, AppError> {
    let mut conditions = Vec::new();
    if let Some(assessment_type) = filters.assessment_type {
        conditions.push(Filter::new(
            health_assessments::Column::AssessmentType.eq(assessment_type.as_db()),
        ));
    }
    if let Some(from) = filters.from {
        conditions.push(Filter::new(
            health_assessments::Column::CreatedAt.gte(DateTime::<Utc>::from(from)),
        ));
    }
    if let Some(to) = filters.to {
        conditions.push(Filter::new(
            health_assessments::Column::CreatedAt.lt(DateTime::<Utc>::from(to)),
        ));
    }
    let args = args.with_filters(conditions);
    load_page::<AssessmentsByUserId, _>(ctx, user_id, args, HealthAssessment::try_from).await
}

/// How a form should ask for a field.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstrumentFieldKind {
    /// A decimal number.
    Number,
    /// A whole number.
    Integer,
    /// Yes or no.
    Boolean,
    /// One of `choices`.
    Choice,
    /// A list of entries made of `fields`, between `min` and `max` of them.
    List,
}

/// One input of an instrument, described for rendering a form.
#[derive(SimpleObject)]
pub struct InstrumentField {
    /// The field's name in the instrument's input type.
    pub name: String,
    /// A label to show next to the input.
    pub label: String,
    /// How the value is entered.
    pub kind: InstrumentFieldKind,
    /// The unit of a number, such as `kg` or `mmHg`.
    pub unit: Option<String>,
    /// Smallest allowed value (for lists: entries).
    pub min: Option<f64>,
    /// Largest allowed value (for lists: entries).
    pub max: Option<f64>,
    /// Allowed values of a choice, or the labels of an answer scale (0, 1, 2, ...).
    pub choices: Vec<String>,
    /// Whether the instrument needs the value.
    pub required: bool,
    /// Fields of each entry of a list.
    pub fields: Vec<InstrumentField>,
}

impl From<FieldSpec> for InstrumentField {
    fn from(spec: FieldSpec) -> Self {
        Self {
            name: spec.name.to_owned(),
            label: spec.label.to_owned(),
            kind: match spec.kind {
                FieldKind::Number => InstrumentFieldKind::Number,
                FieldKind::Integer => InstrumentFieldKind::Integer,
                FieldKind::Boolean => InstrumentFieldKind::Boolean,
                FieldKind::Choice => InstrumentFieldKind::Choice,
                FieldKind::List => InstrumentFieldKind::List,
            },
            unit: spec.unit.filter(|u| !u.is_empty()).map(str::to_owned),
            min: spec.min,
            max: spec.max,
            choices: spec.choices.iter().map(|c| (*c).to_owned()).collect(),
            required: spec.required,
            fields: spec.fields.into_iter().map(Into::into).collect(),
        }
    }
}

/// A validated clinical instrument the API computes.
#[derive(SimpleObject)]
pub struct AssessmentInstrument {
    /// The instrument, as `createHealthAssessment` names it.
    pub code: AssessmentType,
    /// The instrument's name, to show.
    pub title: String,
    /// What it estimates, in plain words.
    pub description: String,
    /// The publication the numbers come from.
    pub source: String,
    /// Changes when the computation or its rule table changes.
    pub version: String,
    /// Its inputs, in order, for rendering a form.
    pub fields: Vec<InstrumentField>,
}

impl From<InstrumentInfo> for AssessmentInstrument {
    fn from(info: InstrumentInfo) -> Self {
        Self {
            code: info.code,
            title: info.title.to_owned(),
            description: info.description.to_owned(),
            source: info.source.to_owned(),
            version: info.version.to_owned(),
            fields: info.fields.into_iter().map(Into::into).collect(),
        }
    }
}

/// One point of an assessment trend.
#[derive(SimpleObject)]
pub struct AssessmentTrendPoint {
    /// The assessment this point comes from.
    pub assessment_id: ID,
    /// When it was computed.
    pub date: scalars::DateTime,
    /// The instrument's score.
    pub score: i32,
    /// The estimated probability (0 to 1), for instruments that give one.
    pub probability: Option<f64>,
    /// The score on the common risk scale.
    pub level: RiskLevel,
}

/// A computed and stored assessment.
#[derive(SimpleObject)]
pub struct CreateHealthAssessmentPayload {
    /// The stored result.
    pub assessment: HealthAssessment,
}

/// What a deletion removed.
#[derive(SimpleObject)]
pub struct DeleteHealthAssessmentPayload {
    /// The id of the deleted assessment.
    pub deleted_id: ID,
}

#[derive(Default)]
pub struct AssessmentsQuery;

#[Object]
impl AssessmentsQuery {
    /// Every instrument with what a form needs: fields, types, units, ranges and choices.
    async fn assessment_instruments(&self) -> Vec<AssessmentInstrument> {
        engine::registry().into_iter().map(Into::into).collect()
    }

    /// One of the caller's assessments; anyone else's id is NOT_FOUND.
    async fn health_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The assessment's id.")] id: ID,
    ) -> Result<HealthAssessment, AppError> {
        let viewer = viewer(ctx)?;
        HealthAssessment::try_from(
            service::find_own(db(ctx), viewer.user.id, parse_id(&id)?).await?,
        )
    }
}

#[derive(Default)]
pub struct AssessmentsMutation;

#[Object]
impl AssessmentsMutation {
    /// Computes and stores an assessment from the answers for one instrument.
    async fn create_health_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Exactly one instrument's answers.")] input: CreateHealthAssessmentInput,
    ) -> Result<CreateHealthAssessmentPayload, AppError> {
        let viewer = viewer(ctx)?;
        let evaluated = input.evaluate()?;
        let now = services(ctx).clock.now();
        // The row and its enrichment job commit together: no assessment waits for a job
        // that was never queued.
        let txn = db(ctx).begin().await?;
        let row = service::create_assessment(&txn, viewer.user.id, evaluated, now).await?;
        enrich::enqueue(&txn, services(ctx), row.id, now).await?;
        txn.commit().await?;
        Ok(CreateHealthAssessmentPayload {
            assessment: HealthAssessment::try_from(row)?,
        })
    }

    /// Deletes one of the caller's assessments; anyone else's id is NOT_FOUND.
    async fn delete_health_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The assessment's id.")] id: ID,
    ) -> Result<DeleteHealthAssessmentPayload, AppError> {
        let viewer = viewer(ctx)?;
        service::delete_own(db(ctx), viewer.user.id, parse_id(&id)?).await?;
        Ok(DeleteHealthAssessmentPayload { deleted_id: id })
    }
}

/// The trend series of `user_id`, batched across users; used by `User.assessmentTrend`.
pub async fn trend_points(
    ctx: &Context<'_>,
    user_id: i32,
    assessment_type: AssessmentType,
    from: Option<scalars::DateTime>,
    to: Option<scalars::DateTime>,
) -> Result<Vec<AssessmentTrendPoint>, AppError> {
    let key = TrendKey {
        user_id,
        assessment_type,
        from: from.map(Into::into),
        to: to.map(Into::into),
    };
    let rows = crate::batching::load_one::<TrendLoader>(ctx, key)
        .await?
        .unwrap_or_default();
    rows.into_iter()
        .map(|row| {
            let assessment = HealthAssessment::try_from(row)?;
            Ok(AssessmentTrendPoint {
                assessment_id: ID::from(assessment.row().id.to_string()),
                date: assessment.row().created_at.into(),
                score: assessment.row().risk_score,
                probability: assessment.probability_f64(),
                level: assessment.level(),
            })
        })
        .collect()
}
