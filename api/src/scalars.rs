//! The schema's custom scalars, with the names, descriptions and `@specifiedBy` URLs a client
//! generator maps to its own types (README: the codegen example):
//!
//! | scalar | value | specification |
//! | --- | --- | --- |
//! | `DateTime` | an instant, `"2026-12-02T15:35:47.123+00:00"` | RFC 3339 date-time with offset |
//! | `Date` | a calendar date, `"1987-04-12"` | ISO 8601 / RFC 3339 full-date |
//! | `JSON` | any JSON value | ECMA-404 |
//! | `Upload` | a file part of a multipart request | GraphQL multipart request specification |
//!
//! async-graphql's own `DateTime`, `NaiveDate`, `Json` and `Upload` describe themselves in
//! Rust terms; these wrap the same values.

use std::{borrow::Cow, sync::Arc};

use async_graphql::{
    ContextSelectionSet, InputType, InputValueError, InputValueResult, OutputType, Positioned,
    Scalar, ScalarType, ServerResult, Value,
    parser::types::Field,
    registry::{MetaType, MetaTypeId, Registry},
};
use chrono::{FixedOffset, NaiveDate, Utc};
use serde::{Serialize, de::DeserializeOwned};

pub const DATE_TIME_SPEC: &str = "https://scalars.graphql.org/andimarek/date-time.html";
pub const DATE_SPEC: &str = "https://scalars.graphql.org/andimarek/local-date.html";
pub const JSON_SPEC: &str =
    "https://www.ecma-international.org/publications-and-standards/standards/ecma-404/";
pub const UPLOAD_SPEC: &str = "https://github.com/jaydenseric/graphql-multipart-request-spec";

/// An instant in time: an RFC 3339 date-time string with its UTC offset, such as
/// `"2026-12-02T15:35:47.123+00:00"`. The server answers in UTC (`+00:00`), with fractional
/// seconds only when there are any; it accepts any offset (`Z`, `+01:00`) and keeps the
/// instant. In TypeScript a `string` (`new Date(value)` parses it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// An instant in time: an RFC 3339 date-time string with its UTC offset, such as
/// `"2026-12-02T15:35:47.123+00:00"`. The server answers in UTC (`+00:00`), with fractional
/// seconds only when there are any; it accepts any offset (`Z`, `+01:00`) and keeps the
/// instant. In TypeScript a `string` (`new Date(value)` parses it).
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://scalars.graphql.org/andimarek/date-time.html"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|at| Self(at.to_utc()))
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "\"{text}\" is not an RFC 3339 date-time such as 2026-12-02T15:35:47Z"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

impl serde::Serialize for DateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        Self(at)
    }
}

impl From<chrono::DateTime<FixedOffset>> for DateTime {
    fn from(at: chrono::DateTime<FixedOffset>) -> Self {
        Self(at.to_utc())
    }
}

impl From<DateTime> for chrono::DateTime<Utc> {
    fn from(at: DateTime) -> Self {
        at.0
    }
}

/// A calendar date without a time of day or time zone, `YYYY-MM-DD`, such as
/// `"1987-04-12"` (a birth date). In TypeScript a `string`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

/// A calendar date without a time of day or time zone, `YYYY-MM-DD`, such as
/// `"1987-04-12"` (a birth date). In TypeScript a `string`.
#[Scalar(
    name = "Date",
    specified_by_url = "https://scalars.graphql.org/andimarek/local-date.html"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Self)
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "\"{text}\" is not a date in the form YYYY-MM-DD"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Self(date)
    }
}

/// Typed views of stored JSON (assessment data, report analyses) read these back.
impl<'de> serde::Deserialize<'de> for DateTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        chrono::DateTime::<Utc>::deserialize(deserializer).map(Self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        NaiveDate::deserialize(deserializer).map(Self)
    }
}

const JSON_DESCRIPTION: &str = "Any JSON value (object, array, string, number, boolean or \
null), sent as JSON, not as a string holding JSON. Fields of this type say what they hold; in \
TypeScript a JSON value type such as `unknown` narrowed by the field's documented shape.";

/// A JSON value of type `T` (`serde_json::Value` for any), shown as the `JSON` scalar.
#[derive(Debug, Clone, PartialEq)]
pub struct Json<T>(pub T);

fn json_scalar() -> MetaType {
    MetaType::Scalar {
        name: "JSON".to_owned(),
        description: Some(JSON_DESCRIPTION.to_owned()),
        is_valid: None,
        visible: None,
        inaccessible: false,
        tags: Vec::new(),
        specified_by_url: Some(JSON_SPEC.to_owned()),
        directive_invocations: Vec::new(),
        requires_scopes: Vec::new(),
    }
}

impl<T: Serialize + Send + Sync> OutputType for Json<T> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed("JSON")
    }

    fn create_type_info(registry: &mut Registry) -> String {
        registry
            .create_output_type::<Json<serde_json::Value>, _>(MetaTypeId::Scalar, |_| json_scalar())
    }

    async fn resolve(
        &self,
        _ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        Ok(json_value(&self.0))
    }
}

impl<T: DeserializeOwned + Serialize + Send + Sync> InputType for Json<T> {
    type RawValueType = T;

    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed("JSON")
    }

    fn create_type_info(registry: &mut Registry) -> String {
        registry
            .create_input_type::<Json<serde_json::Value>, _>(MetaTypeId::Scalar, |_| json_scalar())
    }

    fn parse(value: Option<Value>) -> InputValueResult<Self> {
        Ok(Self(async_graphql::from_value(value.unwrap_or_default())?))
    }

    fn to_value(&self) -> Value {
        json_value(&self.0)
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(&self.0)
    }
}

/// A serialisable value as a GraphQL value (null if it cannot be one).
pub fn json_value<T: Serialize>(value: &T) -> Value {
    async_graphql::to_value(value).unwrap_or_default()
}

/// A file sent in a multipart request (the GraphQL multipart request specification, as
/// apollo-upload-client sends it): the variable is `null` in `operations` and the `map` part
/// names the file part that fills it. In TypeScript `File | Blob`.
pub struct Upload(pub async_graphql::Upload);

impl Upload {
    /// The uploaded file of this request, in the plain terms services take.
    pub fn file(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> Result<crate::uploads::Upload, crate::error::AppError> {
        let value = self
            .0
            .value(ctx)
            .map_err(|_| crate::error::AppError::bad_input("file", "the file could not be read"))?;
        Ok(crate::uploads::Upload {
            file_name: value.filename,
            content_type: value.content_type,
            content: value.content,
        })
    }
}

impl InputType for Upload {
    type RawValueType = Self;

    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed("Upload")
    }

    fn create_type_info(registry: &mut Registry) -> String {
        registry.create_input_type::<Self, _>(MetaTypeId::Scalar, |_| MetaType::Scalar {
            name: "Upload".to_owned(),
            description: Some(
                "A file sent in a multipart request (the GraphQL multipart request \
                 specification, as apollo-upload-client sends it): the variable is `null` in \
                 `operations`, and the `map` part names the file part that fills it. In \
                 TypeScript `File | Blob`."
                    .to_owned(),
            ),
            is_valid: Some(Arc::new(|value| matches!(value, Value::String(_)))),
            visible: None,
            inaccessible: false,
            tags: Vec::new(),
            specified_by_url: Some(UPLOAD_SPEC.to_owned()),
            directive_invocations: Vec::new(),
            requires_scopes: Vec::new(),
        })
    }

    fn parse(value: Option<Value>) -> InputValueResult<Self> {
        async_graphql::Upload::parse(value)
            .map(Self)
            .map_err(InputValueError::propagate)
    }

    fn to_value(&self) -> Value {
        Value::Null
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }
}
