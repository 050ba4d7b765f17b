//! Parsing of profile input into clean values; each failure names its field.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::error::AppError;

pub const MAX_EMAIL_LENGTH: usize = 254;
pub const MAX_NAME_LENGTH: usize = 100;

/// Trimmed, lower-cased, and shaped like an address: `local@domain.tld`, no spaces or
/// control characters, at most 254 characters. Deliverability is proven by the emailed code.
pub fn email(field: &str, raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    let invalid = || AppError::bad_input(field, "not an email address");
    if email.is_empty()
        || email.len() > MAX_EMAIL_LENGTH
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if local.is_empty() || local.len() > 64 || !domain_ok {
        return Err(invalid());
    }
    Ok(email)
}

/// A first or last name: trimmed, 1 to 100 characters, no control characters.
pub fn name(field: &str, raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME_LENGTH {
        return Err(AppError::bad_input(
            field,
            format!("must be 1 to {MAX_NAME_LENGTH} characters"),
        ));
    }
    if crate::text::has_hidden(name) {
        return Err(AppError::bad_input(
            field,
            "must not contain control or invisible formatting characters",
        ));
    }
    Ok(name.to_owned())
}

/// A birth date in the past and no more than 130 years ago.
pub fn date_of_birth(
    field: &str,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<NaiveDate, AppError> {
    let today = now.date_naive();
    if date >= today {
        return Err(AppError::bad_input(field, "must be in the past"));
    }
    if today.year() - date.year() > 130 {
        return Err(AppError::bad_input(field, "is not a plausible birth date"));
    }
    Ok(date)
}

/// A phone number in E.164 form: `+`, a non-zero digit, then 6 to 14 more digits. Spaces,
/// dashes and parentheses people type are removed first.
pub fn phone_number(field: &str, raw: &str) -> Result<String, AppError> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or("");
    let valid = (7..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if !valid {
        return Err(AppError::bad_input(
            field,
            "must be in international E.164 form, e.g. +4915112345678",
        ));
    }
    Ok(compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            email("email", "  Ada@Example.COM ").ok().as_deref(),
            Some("ada@example.com")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@ex ample.com",
            "a@b..com",
            "ada@.example.com",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phone_numbers_must_be_e164() {
        assert_eq!(
            phone_number("p", "+49 151 1234-5678").ok().as_deref(),
            Some("+4915112345678")
        );
        for bad in [
            "015112345678",
            "+0151123456",
            "+12",
            "+1234567890123456",
            "+49 abc",
        ] {
            assert!(phone_number("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn birth_dates_are_past_and_plausible() {
        let now = DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z")
            .map(|d| d.to_utc())
            .unwrap_or_default();
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        assert!(date_of_birth("d", date("1990-05-01"), now).is_ok());
        assert!(date_of_birth("d", date("2026-11-27"), now).is_err());
        assert!(date_of_birth("d", date("1850-01-01"), now).is_err());
    }
}
