//! The assessment engine: validated clinical instruments as pure functions of typed inputs.
//! No database, no HTTP. Numbers and sources come from `shared/clinical/INSTRUMENTS.md` and are
//! cited beside each table; boundary choices are listed in docs/assessments.md.
//!
//! An instrument is one module with a typed input implementing [`Instrument`] (one
//! `instrument!` line), `info()` (what a form needs to render it) and `evaluate()`; adding one
//! means adding its module, its line in [`registry`] and its member of the one-of input.

pub mod blood_pressure;
pub mod bmi;
pub mod findrisc;
pub mod framingham;
pub mod gad7;
pub mod phq9;
pub mod prevent;

use serde_json::Value;

use crate::{
    enums::{AssessmentType, RiskLevel},
    error::AppError,
};

/// What every instrument's input type provides. Adding an instrument means a module that
/// implements this (and `info()`), plus its line in [`registry`] and its member of the GraphQL
/// one-of input.
pub trait Instrument: serde::Serialize {
    const ASSESSMENT_TYPE: AssessmentType;
    const VERSION: &'static str;
    /// The member's name in `CreateHealthAssessmentInput`, used to name fields in errors.
    const MEMBER: &'static str;
    fn evaluate(&self) -> Result<Outcome, FieldError>;
}

/// Implements [`Instrument`] for an input type from its module's `VERSION` and `evaluate`.
macro_rules! instrument {
    ($input:ty, $assessment_type:expr, $member:literal) => {
        impl $crate::assessments::engine::Instrument for $input {
            const ASSESSMENT_TYPE: $crate::enums::AssessmentType = $assessment_type;
            const VERSION: &'static str = VERSION;
            const MEMBER: &'static str = $member;
            fn evaluate(&self) -> Result<$crate::assessments::engine::Outcome, $crate::assessments::engine::FieldError> {
                evaluate(self)
            }
        }
    };
}
pub(crate) use instrument;

/// An input the instrument cannot take, with the input field at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl From<FieldError> for AppError {
    fn from(err: FieldError) -> Self {
        AppError::bad_input(err.field, err.message)
    }
}

/// A deterministic result.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The instrument's own score (points, total, category index or rounded value).
    pub score: i32,
    /// The band placed on the common risk scale.
    pub level: RiskLevel,
    /// Probability of the outcome as a fraction, for instruments that give one.
    pub probability: Option<f64>,
    /// The instrument's own band name, e.g. `moderately_severe`.
    pub band: &'static str,
    pub recommendations: Vec<String>,
    pub warning_signs: Vec<String>,
    pub next_steps: Vec<String>,
    /// Computed values worth keeping (BMI, averages, points): the instrument's `…Details` type
    /// serialised, read back by `assessments::result`.
    pub details: Value,
}

/// Plain-language guidance for one band, from the instrument's reviewed rule table.
pub struct Guidance {
    pub recommendations: &'static [&'static str],
    pub warning_signs: &'static [&'static str],
    pub next_steps: &'static [&'static str],
}

impl Guidance {
    fn lines(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| (*s).to_owned()).collect()
    }

    /// An outcome carrying this guidance.
    pub fn outcome(
        &self,
        score: i32,
        level: RiskLevel,
        probability: Option<f64>,
        band: &'static str,
        details: impl serde::Serialize,
    ) -> Outcome {
        Outcome {
            score,
            level,
            probability,
            band,
            recommendations: Self::lines(self.recommendations),
            warning_signs: Self::lines(self.warning_signs),
            next_steps: Self::lines(self.next_steps),
            // A struct of numbers and enums: serialising it cannot fail.
            details: serde_json::to_value(details).unwrap_or(Value::Null),
        }
    }
}

/// What a frontend needs to render an instrument's form.
#[derive(Debug, Clone)]
pub struct InstrumentInfo {
    pub code: AssessmentType,
    pub title: &'static str,
    pub description: &'static str,
    pub source: &'static str,
    pub version: &'static str,
    pub fields: Vec<FieldSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Number,
    Integer,
    Boolean,
    Choice,
    /// A list of entries, each made of `fields` (blood pressure readings).
    List,
}

#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// The input field's GraphQL name.
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub unit: Option<&'static str>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Allowed values of a choice (GraphQL enum values), or labels of a 0-3 answer scale.
    pub choices: &'static [&'static str],
    pub required: bool,
    /// Sub-fields of a list entry.
    pub fields: Vec<FieldSpec>,
}

impl FieldSpec {
    pub fn number(
        name: &'static str,
        label: &'static str,
        unit: &'static str,
        min: f64,
        max: f64,
    ) -> Self {
        Self {
            name,
            label,
            kind: FieldKind::Number,
            unit: Some(unit),
            min: Some(min),
            max: Some(max),
            choices: &[],
            required: true,
            fields: vec![],
        }
    }
    pub fn integer(name: &'static str, label: &'static str, min: f64, max: f64) -> Self {
        Self {
            kind: FieldKind::Integer,
            unit: None,
            ..Self::number(name, label, "", min, max)
        }
    }
    pub fn boolean(name: &'static str, label: &'static str) -> Self {
        Self {
            name,
            label,
            kind: FieldKind::Boolean,
            unit: None,
            min: None,
            max: None,
            choices: &[],
            required: true,
            fields: vec![],
        }
    }
    pub fn choice(
        name: &'static str,
        label: &'static str,
        choices: &'static [&'static str],
    ) -> Self {
        Self {
            kind: FieldKind::Choice,
            choices,
            ..Self::boolean(name, label)
        }
    }
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }
}

/// Every instrument, in the order forms list them.
pub fn registry() -> Vec<InstrumentInfo> {
    vec![
        framingham::info(),
        prevent::info(),
        findrisc::info(),
        phq9::info(),
        gad7::info(),
        blood_pressure::info(),
        bmi::info(),
    ]
}

/// `value` within `[min, max]`, else an error naming `field` and the unit.
pub fn in_range(
    field: &str,
    value: f64,
    min: f64,
    max: f64,
    unit: &str,
) -> Result<f64, FieldError> {
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError {
            field: field.to_owned(),
            message: format!("must be between {min} and {max} {unit}")
                .trim_end()
                .to_owned(),
        })
    }
}

/// Answers to a questionnaire scored 0 (not at all) to 3 (nearly every day).
pub const FREQUENCY_SCALE: &[&str] = &[
    "not at all",
    "several days",
    "more than half the days",
    "nearly every day",
];

/// Checks that `items` has `count` answers of 0-3; errors name the item (`items[4]`).
pub fn frequency_items(items: &[i32], count: usize) -> Result<i32, FieldError> {
    if items.len() != count {
        return Err(FieldError {
            field: "items".into(),
            message: format!("must have exactly {count} answers"),
        });
    }
    for (i, item) in items.iter().enumerate() {
        if !(0..=3).contains(item) {
            return Err(FieldError {
                field: format!("items[{i}]"),
                message: "must be 0, 1, 2 or 3".into(),
            });
        }
    }
    Ok(items.iter().sum())
}

/// Rounds a probability to the six decimals the database keeps.
pub fn round6(p: f64) -> f64 {
    (p * 1_000_000.0).round() / 1_000_000.0
}
