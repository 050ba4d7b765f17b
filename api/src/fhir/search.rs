//! FHIR search parameters (docs/fhir.md, "Search"): `patient` (or `subject`), `category`,
//! `code`, `date` with the prefixes `eq`, `gt`, `lt`, `ge` and `le`, `_count`, and the
//! server's own `_cursor` in `next` links. Values of one parameter separated by commas are
//! alternatives (OR); repeated parameters must all match (AND). A parameter this server does
//! not support, or a malformed value, is refused with 400 rather than ignored, so a client
//! never mistakes an unfiltered page for a filtered one.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{
    DateTime, Days, FixedOffset, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};

use super::entry::Entry;

/// Results per page when `_count` is not given, and the most a page holds.
pub const DEFAULT_COUNT: usize = 50;
pub const MAX_COUNT: usize = 200;

/// A `system|code` token: either part may be absent (`code`, `system|`, `|code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// None: any system. Some(""): no system.
    pub system: Option<String>,
    /// None: any code in the system.
    pub code: Option<String>,
}

impl Token {
    fn parse(value: &str) -> Self {
        match value.split_once('|') {
            Some((system, code)) => Self {
                system: Some(system.to_owned()),
                code: (!code.is_empty()).then(|| code.to_owned()),
            },
            None => Self {
                system: None,
                code: (!value.is_empty()).then(|| value.to_owned()),
            },
        }
    }

    fn matches(&self, (system, code): (&str, &str)) -> bool {
        self.system.as_deref().is_none_or(|s| s == system)
            && self.code.as_deref().is_none_or(|c| c == code)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    Eq,
    Gt,
    Lt,
    Ge,
    Le,
}

/// A `date` parameter: a prefix and the span its value's precision implies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFilter {
    prefix: Prefix,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl DateFilter {
    fn parse(value: &str) -> Result<Self, String> {
        let (prefix, rest) = match value.get(..2) {
            Some("eq") => (Prefix::Eq, &value[2..]),
            Some("gt") => (Prefix::Gt, &value[2..]),
            Some("lt") => (Prefix::Lt, &value[2..]),
            Some("ge") => (Prefix::Ge, &value[2..]),
            Some("le") => (Prefix::Le, &value[2..]),
            Some("ne" | "sa" | "eb" | "ap") => {
                return Err(format!(
                    "the date prefix `{}` is not supported; use eq, gt, lt, ge or le",
                    &value[..2]
                ));
            }
            _ => (Prefix::Eq, value),
        };
        let (start, end) = span(rest).ok_or_else(|| {
            format!("`{value}` is not a FHIR date: give YYYY, YYYY-MM, YYYY-MM-DD or a date-time such as 2026-03-14T09:30:00Z, after an optional prefix (ge, le, gt, lt, eq)")
        })?;
        Ok(Self { prefix, start, end })
    }

    /// Whether an instant falls where the filter says (a point compared with the span).
    fn matches(&self, at: DateTime<Utc>) -> bool {
        match self.prefix {
            Prefix::Eq => self.start <= at && at < self.end,
            Prefix::Gt => at >= self.end,
            Prefix::Lt => at < self.start,
            Prefix::Ge => at >= self.start,
            Prefix::Le => at < self.end,
        }
    }
}

/// The span `[start, end)` a FHIR date of any precision covers; times without a zone are UTC.
fn span(text: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let day = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
    let bytes = text.len();
    if bytes == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
        let start = NaiveDate::from_ymd_opt(text.parse().ok()?, 1, 1)?;
        return Some((day(start), day(start.checked_add_months(Months::new(12))?)));
    }
    if bytes == 7 {
        let start = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?;
        return Some((day(start), day(start.checked_add_months(Months::new(1))?)));
    }
    if bytes == 10 {
        let start = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        return Some((day(start), day(start.checked_add_days(Days::new(1))?)));
    }
    let (at, precision) = if let Ok(at) = DateTime::<FixedOffset>::parse_from_rfc3339(text) {
        (at.to_utc(), chrono::Duration::seconds(1))
    } else if let Ok(at) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        (Utc.from_utc_datetime(&at), chrono::Duration::seconds(1))
    } else if let Ok(at) = DateTime::<FixedOffset>::parse_from_rfc3339(&format!(
        "{}:00{}",
        text.get(..16)?,
        text.get(16..)?
    )) {
        (at.to_utc(), chrono::Duration::minutes(1))
    } else {
        return None;
    };
    Some((at, at + precision))
}

/// Where the next page starts: after the entry with this sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    micros: i64,
    resource_type: String,
    id: String,
}

impl Cursor {
    fn of(entry: &Entry) -> Self {
        Self {
            // Undated resources (the Patient, Practitioners) come first.
            micros: entry.date.map_or(i64::MAX, |d| d.timestamp_micros()),
            resource_type: entry.resource_type.to_owned(),
            id: entry.id.clone(),
        }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}|{}|{}",
            self.micros, self.resource_type, self.id
        ))
    }

    fn decode(text: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let mut parts = raw.splitn(3, '|');
        Some(Self {
            micros: parts.next()?.parse().ok()?,
            resource_type: parts.next()?.to_owned(),
            id: parts.next()?.to_owned(),
        })
    }

    /// Newest first (undated first of all), then by type and id: the order pages are cut in.
    fn key(&self) -> (std::cmp::Reverse<i64>, &str, &str) {
        (
            std::cmp::Reverse(self.micros),
            &self.resource_type,
            &self.id,
        )
    }
}

/// A parsed search.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// The patient's account id, from `patient` or `subject`.
    pub patient: Option<i32>,
    categories: Vec<Vec<Token>>,
    codes: Vec<Vec<Token>>,
    dates: Vec<DateFilter>,
    /// Results per page; `Some(0)`: the total only.
    pub count: Option<usize>,
    after: Option<Cursor>,
    /// The parameters as given (without `_cursor`), for `self` and `next` links.
    pub echo: Vec<(String, String)>,
}

/// A search refused: the parameter and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadParameter(pub String);

impl Search {
    /// Parses a query string. `allowed` names the filters the interaction takes (`$everything`
    /// takes none but `_count`).
    pub fn parse(query: &str, filters: bool) -> Result<Self, BadParameter> {
        let mut search = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let bad = |why: String| BadParameter(format!("`{name}`: {why}"));
            if name != "_cursor" {
                search.echo.push((name.to_string(), value.to_string()));
            }
            match name.as_ref() {
                "_count" => {
                    let count: usize = value
                        .parse()
                        .map_err(|_| bad(format!("`{value}` is not a whole number")))?;
                    search.count = Some(count.min(MAX_COUNT));
                }
                "_cursor" => {
                    search.after = Some(Cursor::decode(&value).ok_or_else(|| {
                        bad(
                            "not a cursor this server issued; follow the `next` link as given"
                                .into(),
                        )
                    })?);
                }
                "_format" => {
                    if !["json", "application/json", "application/fhir+json"]
                        .contains(&value.as_ref())
                    {
                        return Err(bad(
                            "this server speaks JSON only (json, application/fhir+json)".into(),
                        ));
                    }
                }
                "_pretty" | "_summary" if value == "false" => {}
                "patient" | "subject" if filters => {
                    let id = value.strip_prefix("Patient/").unwrap_or(&value);
                    let id: i32 = id.parse().map_err(|_| {
                        bad(format!(
                            "`{value}` is not a patient reference (Patient/123 or 123)"
                        ))
                    })?;
                    if search.patient.is_some_and(|p| p != id) {
                        return Err(bad("give one patient".into()));
                    }
                    search.patient = Some(id);
                }
                "category" | "code" if filters => {
                    let tokens: Vec<Token> = value.split(',').map(Token::parse).collect();
                    if tokens
                        .iter()
                        .any(|t| t.code.is_none() && t.system.as_deref().is_none_or(str::is_empty))
                    {
                        return Err(bad("empty token; give code, system|code or system|".into()));
                    }
                    if name == "category" {
                        search.categories.push(tokens);
                    } else {
                        search.codes.push(tokens);
                    }
                }
                "date" | "authored" if filters => {
                    search.dates.push(DateFilter::parse(&value).map_err(bad)?);
                }
                _ => {
                    return Err(BadParameter(format!(
                        "`{name}` is not a search parameter of this interaction (see GET /fhir/r4/metadata)"
                    )));
                }
            }
        }
        Ok(search)
    }

    /// Whether an entry passes the filters (not the paging).
    pub fn matches(&self, entry: &Entry) -> bool {
        let tokens = |wanted: &[Vec<Token>], have: &[(&str, &str)]| {
            wanted
                .iter()
                .all(|any| any.iter().any(|t| have.iter().any(|&h| t.matches(h))))
        };
        tokens(&self.categories, &entry.categories)
            && tokens(&self.codes, &entry.codes)
            && self
                .dates
                .iter()
                .all(|filter| entry.date.is_some_and(|at| filter.matches(at)))
    }

    /// The page of `matching` (already filtered) this search asks for, and the cursor of the
    /// next page when there is one. `default_count` None: everything in one page.
    pub fn page(
        &self,
        mut matching: Vec<Entry>,
        default_count: Option<usize>,
    ) -> (Vec<Entry>, Option<Cursor>) {
        matching.sort_by(|a, b| Cursor::of(a).key().cmp(&Cursor::of(b).key()));
        if let Some(after) = &self.after {
            matching.retain(|e| Cursor::of(e).key() > after.key());
        }
        let Some(count) = self.count.or(default_count) else {
            return (matching, None);
        };
        if matching.len() > count {
            matching.truncate(count);
            let next = matching.last().map(Cursor::of);
            (matching, next.filter(|_| count > 0))
        } else {
            (matching, None)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn dates_of_every_precision_cover_their_span() {
        let ge = DateFilter::parse("ge2026-03").unwrap();
        assert!(ge.matches(at("2026-03-01T00:00:00Z")));
        assert!(!ge.matches(at("2026-02-28T23:59:59Z")));
        let le = DateFilter::parse("le2026-03-14").unwrap();
        assert!(le.matches(at("2026-03-14T23:59:59Z")));
        assert!(!le.matches(at("2026-03-15T00:00:00Z")));
        let eq = DateFilter::parse("2026").unwrap();
        assert!(eq.matches(at("2026-12-31T23:00:00Z")));
        assert!(!eq.matches(at("2027-01-01T00:00:00Z")));
        let instant = DateFilter::parse("gt2026-03-14T09:30:00+01:00").unwrap();
        assert!(instant.matches(at("2026-03-14T08:30:01Z")));
        assert!(!instant.matches(at("2026-03-14T08:30:00Z")));
        let minute = DateFilter::parse("lt2026-03-14T09:30Z").unwrap();
        assert!(minute.matches(at("2026-03-14T09:29:59Z")));
    }

    #[test]
    fn malformed_dates_and_prefixes_are_refused() {
        for bad in [
            "notadate",
            "ge",
            "2026-13",
            "2026-02-30",
            "ap2026",
            "ge2026-03-14T25:00:00Z",
            "20260314",
        ] {
            assert!(DateFilter::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_parameters_and_bad_values_are_refused() {
        assert!(Search::parse("colour=red", true).is_err());
        assert!(Search::parse("_count=many", true).is_err());
        assert!(Search::parse("patient=Practitioner/3", true).is_err());
        assert!(Search::parse("patient=1&patient=2", true).is_err());
        assert!(Search::parse("code=", true).is_err());
        assert!(Search::parse("_cursor=%%%", true).is_err());
        assert!(Search::parse("code=8480-6", false).is_err());
        let search = Search::parse(
            "patient=Patient/7&code=http://loinc.org|8480-6,8462-4&_count=500",
            true,
        )
        .unwrap();
        assert_eq!(search.patient, Some(7));
        assert_eq!(search.count, Some(MAX_COUNT));
    }

    #[test]
    fn tokens_match_system_and_code_as_given() {
        let have = ("http://loinc.org", "8480-6");
        assert!(Token::parse("8480-6").matches(have));
        assert!(Token::parse("http://loinc.org|8480-6").matches(have));
        assert!(Token::parse("http://loinc.org|").matches(have));
        assert!(!Token::parse("|8480-6").matches(have));
        assert!(!Token::parse("http://snomed.info/sct|8480-6").matches(have));
    }

    #[test]
    fn cursors_round_trip_and_pages_do_not_overlap() {
        let entries: Vec<Entry> = (0..5)
            .map(|i| {
                let mut e = Entry::new(
                    "Observation",
                    format!("o{i}"),
                    serde_json::json!({ "id": i }),
                );
                e.date =
                    Some(at("2026-03-14T00:00:00Z") + chrono::Duration::hours(i64::from(i % 2)));
                e
            })
            .collect();
        let mut search = Search::parse("_count=2", true).unwrap();
        let mut seen = Vec::new();
        loop {
            let (page, next) = search.page(entries.clone(), None);
            seen.extend(page.iter().map(|e| e.id.clone()));
            let Some(next) = next else { break };
            search = Search::parse(&format!("_count=2&_cursor={}", next.encode()), true).unwrap();
        }
        seen.sort();
        assert_eq!(seen, ["o0", "o1", "o2", "o3", "o4"]);
    }
}
