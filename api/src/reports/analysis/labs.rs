//! Finds lab values in a report's text, one line at a time: an analyte name at the start of a
//! line, then its value, an optional unit, and an optional printed reference range, in the
//! orders lab reports print them ("Glucose, fasting  105 mg/dL  70 - 99  H",
//! "HbA1c: 6.1 % (4.0-5.6)", "LDL | 4.2 | mmol/L | < 3.0"). Each value is flagged against
//! the printed range, or the default range when none is printed, and against critical limits.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{
    analytes::{ANALYTES, Analyte, Position, Sex},
    tokens::{
        Token, first_value, is_separator, printed_range, push_run, tokenize, unit_at, unknown_unit,
    },
};

/// Bumped whenever the output for the same text can change.
pub const PARSER_VERSION: &str = "1";

/// Abbreviations this short also start ordinary sentences; a line named by one must also
/// print a unit or a range before it is believed.
const SHORT_NAME: usize = 3;
/// Words allowed between a name and its value ("Glucose, fasting, plasma 105").
const MAX_WORDS_BEFORE_VALUE: usize = 3;

// Also the GraphQL enum `LabFlag`, read back from the stored result by `reports::types`.
/// Where a lab value sits against its reference range.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "LabFlag")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Flag {
    /// Below the range.
    Low,
    /// Within the range.
    Normal,
    /// Above the range.
    High,
    /// Beyond a critical limit: the report owner should contact a clinician promptly.
    Critical,
}

/// Whose reference range a value was compared with.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RangeSource {
    /// Printed on the report.
    Report,
    /// This service's default for the analyte (docs/reports.md).
    Default,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Range {
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub unit: String,
    pub source: RangeSource,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabValue {
    pub key: &'static str,
    pub name: &'static str,
    pub value: f64,
    /// `<` or `>` when the report prints a bound rather than a value ("< 0.5").
    pub qualifier: Option<&'static str>,
    /// The unit as printed; the standard unit when none is printed (`unitAssumed`).
    pub unit: String,
    pub unit_assumed: bool,
    /// The value in the standard unit, when the printed unit is known.
    pub standard_value: Option<f64>,
    pub standard_unit: &'static str,
    pub range: Range,
    /// `None` only when the printed unit is unknown and no range is printed: nothing to compare.
    pub flag: Option<Flag>,
    pub source_line: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Findings {
    pub values: Vec<LabValue>,
    pub report_date: Option<NaiveDate>,
}

/// Every recognised analyte in `text` (the first value of each), and the report date.
pub fn parse(text: &str, sex: Sex) -> Findings {
    let mut findings = Findings::default();
    for line in text.lines() {
        if findings.report_date.is_none() {
            findings.report_date = report_date(line);
        }
        if let Some(value) = parse_line(line, sex)
            && !findings.values.iter().any(|v| v.key == value.key)
        {
            findings.values.push(value);
        }
    }
    findings
}

fn parse_line(line: &str, sex: Sex) -> Option<LabValue> {
    let line = line.trim();
    let body = strip_row_marker(line);
    let (analyte, name_len) = match_name(body)?;
    let rest = value_start(&body[name_len..])?;
    let tokens = tokenize(rest);
    let (value, qualifier, mut at) = first_value(&tokens)?;

    // The unit follows the value, or comes after the range ("105 70-99 mg/dL").
    let unit_here = unit_at(analyte, &tokens, at);
    if let Some((_, used)) = &unit_here {
        at += used;
    }
    let printed = printed_range(&tokens[at..]);
    let unit = unit_here
        .map(|(unit, _)| unit)
        .or_else(|| {
            (at..tokens.len()).find_map(|i| unit_at(analyte, &tokens, i).map(|(unit, _)| unit))
        })
        .or_else(|| unknown_unit(&tokens, at));
    if name_len <= SHORT_NAME && unit.is_none() && printed.is_none() {
        return None;
    }

    let (unit, unit_assumed) = match unit {
        Some(unit) => (unit, false),
        None => (analyte.unit.to_owned(), true),
    };
    let standard_value = analyte
        .conversion(&unit)
        .map(|c| round(value * c.factor + c.offset));
    let (bounds, range_unit, source) = match printed {
        Some(bounds) => (bounds, unit.clone(), RangeSource::Report),
        None => (
            analyte.default_range.for_sex(sex),
            analyte.unit.to_owned(),
            RangeSource::Default,
        ),
    };
    let compared = match source {
        RangeSource::Report => Some(value),
        RangeSource::Default => standard_value,
    };
    let critical = standard_value.is_some_and(|v| analyte.critical.position(v) != Position::Within);
    let flag = if critical {
        Some(Flag::Critical)
    } else {
        compared.map(|v| match bounds.position(v) {
            Position::Below => Flag::Low,
            Position::Within => Flag::Normal,
            Position::Above => Flag::High,
        })
    };
    Some(LabValue {
        key: analyte.key,
        name: analyte.name,
        value,
        qualifier,
        unit,
        unit_assumed,
        standard_value,
        standard_unit: analyte.unit,
        range: Range {
            low: bounds.low,
            high: bounds.high,
            unit: range_unit,
            source,
        },
        flag,
        source_line: line.chars().take(200).collect(),
    })
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// Drops table borders, bullets and row numbers ("| ", "• ", "3. ").
fn strip_row_marker(line: &str) -> &str {
    let line = line.trim_start_matches(|c: char| c.is_whitespace() || "|*•-–>".contains(c));
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 && digits <= 3 {
        let after = &line[digits..];
        if let Some(rest) = after
            .strip_prefix(". ")
            .or_else(|| after.strip_prefix(") "))
        {
            return rest.trim_start();
        }
    }
    line
}

/// The analyte whose name starts `line` (longest name wins), and the name's length in bytes.
fn match_name(line: &str) -> Option<(&'static Analyte, usize)> {
    let lower = line.to_lowercase();
    if lower.len() != line.len() {
        // Lower-casing changed byte offsets (rare non-ASCII letters); offsets would not line up.
        return None;
    }
    ANALYTES
        .iter()
        .flat_map(|analyte| {
            analyte
                .names
                .iter()
                .map(move |name| (analyte, name.len(), *name))
        })
        .filter(|(_, len, name)| {
            lower.starts_with(name)
                && !lower[*len..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
        })
        .max_by_key(|(_, len, _)| *len)
        .map(|(analyte, len, _)| (analyte, len))
}

/// Skips qualifiers between the name and the value ("(fasting)", ", serum", "(CKD-EPI 2021)").
fn value_start(mut rest: &str) -> Option<&str> {
    let mut words = 0;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || ",:;|=".contains(c));
        if rest.is_empty() {
            return None;
        }
        if rest.starts_with(['(', '[']) {
            let close = rest.find([')', ']'])?;
            rest = &rest[close + 1..];
            continue;
        }
        let end = rest.find(is_separator).unwrap_or(rest.len());
        let mut run = Vec::new();
        push_run(&rest[..end], &mut run);
        let number = run.iter().any(|t| matches!(t, Token::Num(_)))
            && !run.iter().any(|t| matches!(t, Token::Word(_)));
        // "CRP < 0.5 mg/L": a comparison sign standing alone starts the value (a bound).
        let bound = !run.is_empty()
            && run
                .iter()
                .all(|t| matches!(t, Token::Less { .. } | Token::Greater { .. }));
        if number || bound {
            return Some(rest);
        }
        words += 1;
        if words > MAX_WORDS_BEFORE_VALUE {
            return None;
        }
        rest = &rest[end..];
    }
}

/// A report date on a line that names one ("Collected: 2026-03-14", "Report date 14 Mar 2026").
fn report_date(line: &str) -> Option<NaiveDate> {
    const LABELS: &[&str] = &[
        "collected",
        "collection date",
        "date collected",
        "date of collection",
        "report date",
        "date reported",
        "reported",
        "sample date",
        "specimen date",
        "date of report",
        "date:",
    ];
    let lower = line.to_lowercase();
    if !LABELS.iter().any(|label| lower.contains(label)) {
        return None;
    }
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == '|')
        .filter(|w| !w.is_empty())
        .collect();
    const FORMATS: &[&str] = &[
        "%Y-%m-%d",
        "%d.%m.%Y",
        "%d %b %Y",
        "%d %B %Y",
        "%b %d, %Y",
        "%B %d, %Y",
    ];
    for len in [1, 3] {
        for window in words.windows(len) {
            let candidate = window.join(" ");
            let candidate = candidate.trim_end_matches([',', '.', ';']);
            if let Some(date) = FORMATS
                .iter()
                .find_map(|format| NaiveDate::parse_from_str(candidate, format).ok())
            {
                return Some(date);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::analysis::tokens::number;

    fn one(line: &str) -> LabValue {
        let findings = parse(line, Sex::Unknown);
        assert_eq!(findings.values.len(), 1, "{line}: {findings:?}");
        findings.values[0].clone()
    }

    fn none(line: &str) {
        let findings = parse(line, Sex::Unknown);
        assert!(findings.values.is_empty(), "{line}: {findings:?}");
    }

    #[test]
    fn a_table_row_with_printed_range() {
        let v = one("Glucose, fasting    105   mg/dL   70 - 99   H");
        assert_eq!(
            (v.key, v.value, v.unit.as_str()),
            ("glucose", 105.0, "mg/dL")
        );
        assert_eq!((v.range.low, v.range.high), (Some(70.0), Some(99.0)));
        assert_eq!(v.range.source, RangeSource::Report);
        assert_eq!(v.flag, Some(Flag::High));
    }

    #[test]
    fn layouts_seen_on_lab_reports() {
        let v = one("HbA1c: 6.1 % (4.0-5.6)");
        assert_eq!(
            (v.value, v.flag, v.range.high),
            (6.1, Some(Flag::High), Some(5.6))
        );
        let v = one("| LDL Cholesterol | 4.2 | mmol/L | < 3.0 | High |");
        assert_eq!(
            (v.key, v.value, v.flag),
            ("ldl_cholesterol", 4.2, Some(Flag::High))
        );
        assert_eq!(v.standard_value, Some(162.413));
        let v = one("3. Hemoglobin (Hb) 11,2 g/dL [12.0 - 15.5]");
        assert_eq!(
            (v.key, v.value, v.flag),
            ("hemoglobin", 11.2, Some(Flag::Low))
        );
        let v = one("Platelets 250,000 /uL 150,000-450,000");
        assert_eq!((v.value, v.flag), (250_000.0, Some(Flag::Normal)));
        let v = one("eGFR (CKD-EPI 2021)  92  mL/min/1.73 m2  >= 60");
        assert_eq!((v.key, v.value, v.flag), ("egfr", 92.0, Some(Flag::Normal)));
        let v = one("TSH 2.1 70-99 uIU/mL");
        assert_eq!((v.unit.as_str(), v.range.low), ("uIU/mL", Some(70.0)));
    }

    #[test]
    fn without_a_printed_range_the_default_applies_in_standard_units() {
        let v = one("Glucose 6.2 mmol/L");
        assert_eq!(v.standard_value, Some(111.6));
        assert_eq!(v.range.source, RangeSource::Default);
        assert_eq!((v.range.high, v.range.unit.as_str()), (Some(99.0), "mg/dL"));
        assert_eq!(v.flag, Some(Flag::High));
        let v = one("Total cholesterol 200 mg/dL");
        assert_eq!(
            v.flag,
            Some(Flag::High),
            "200 is already borderline high (ATP III)"
        );
        let v = one("Total cholesterol 199 mg/dL");
        assert_eq!(v.flag, Some(Flag::Normal));
        let v = one("HDL cholesterol 38");
        assert_eq!((v.flag, v.unit_assumed), (Some(Flag::Low), true));
    }

    #[test]
    fn sex_specific_defaults() {
        let line = "Hemoglobin 12.5 g/dL";
        assert_eq!(parse(line, Sex::Male).values[0].flag, Some(Flag::Low));
        assert_eq!(parse(line, Sex::Female).values[0].flag, Some(Flag::Normal));
    }

    #[test]
    fn critical_limits_win_over_the_printed_range() {
        let v = one("Potassium 6.9 mmol/L 3.5 - 5.1");
        assert_eq!(v.flag, Some(Flag::Critical));
        let v = one("Glucose 2.0 mmol/L");
        assert_eq!(v.flag, Some(Flag::Critical));
    }

    #[test]
    fn a_bound_keeps_its_sign_with_or_without_a_space() {
        for line in [
            "CRP < 0.5 mg/L",
            "CRP <0.5 mg/L",
            "C-reactive protein: < 0.5 mg/L",
        ] {
            let v = one(line);
            assert_eq!((v.value, v.qualifier), (0.5, Some("<")), "{line}");
        }
        let v = one("eGFR > 90 mL/min/1.73m2");
        assert_eq!((v.value, v.qualifier), (90.0, Some(">")));
    }

    #[test]
    fn longest_name_wins() {
        assert_eq!(one("Hemoglobin A1c 5.4 %").key, "hba1c");
        assert_eq!(one("Calcium 9.5 mg/dL").key, "calcium");
        assert_eq!(one("Na+ 140 mmol/L").key, "sodium");
    }

    #[test]
    fn sentences_are_not_lab_values() {
        none("K. Smith, MD 2026");
        none("Kidney function 2 tests");
        none("Glucose tolerance test was not performed");
        none("Alternatively 3 samples");
        none("Sodium");
    }

    #[test]
    fn the_first_value_of_an_analyte_is_kept() {
        let findings = parse("Glucose 90 mg/dL\nGlucose 300 mg/dL", Sex::Unknown);
        assert_eq!(findings.values.len(), 1);
        assert_eq!(findings.values[0].value, 90.0);
    }

    #[test]
    fn numbers() {
        assert_eq!(number("5,4"), Some(5.4));
        assert_eq!(number("250,000"), Some(250_000.0));
        assert_eq!(number("1,234.5"), Some(1234.5));
        assert_eq!(number("12,3456"), None);
        assert_eq!(number("1e5"), None);
        assert_eq!(number("inf"), None);
        assert_eq!(number(".5"), None);
    }

    #[test]
    fn report_dates() {
        let date = |s| report_date(s);
        let expected = NaiveDate::from_ymd_opt(2026, 3, 14);
        assert_eq!(date("Collected: 2026-03-14 08:10"), expected);
        assert_eq!(date("Report date 14 Mar 2026"), expected);
        assert_eq!(date("Date reported: March 14, 2026"), expected);
        assert_eq!(date("Date: 14.03.2026"), expected);
        assert_eq!(date("Glucose 2026-03-14"), None);
    }
}

/// Report text is untrusted: any text parses without panicking, into finite values with one
/// entry per analyte (10,000 cases each).
#[cfg(test)]
mod parse_properties {
    use proptest::prelude::*;

    use super::*;

    fn check(text: &str) -> Result<(), TestCaseError> {
        for sex in [Sex::Male, Sex::Female, Sex::Unknown] {
            let findings = parse(text, sex);
            for value in &findings.values {
                prop_assert!(value.value.is_finite(), "{value:?}");
                prop_assert!(value.standard_value.is_none_or(f64::is_finite), "{value:?}");
                prop_assert_eq!(
                    findings
                        .values
                        .iter()
                        .filter(|v| v.key == value.key)
                        .count(),
                    1
                );
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn any_text_parses(text in "\\PC{0,400}") {
            check(&text)?;
        }

        #[test]
        fn lab_like_lines_parse(
            lines in proptest::collection::vec(
                "(Glucose|Hemoglobin|HbA1c|Potassium|Sodium|LDL|Creatinine|TSH|Date)[ :]{0,3}[<>]?[-0-9.,eE]{0,14} ?(mg/dL|mmol/L|g/dL|%|mU/L|umol/L|µmol/L|xyz)? ?([-0-9., ]{0,12})?",
                0..12,
            ),
        ) {
            check(&lines.join("\n"))?;
        }
    }
}
