//! A lab line after its name, as tokens: numbers, range dashes, comparison signs and words;
//! and what the parser reads from them (the value, its unit, the printed range).

use super::analytes::{Analyte, Bounds, at_least, below, between};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Num(f64),
    Dash,
    Less { inclusive: bool },
    Greater { inclusive: bool },
    Word(String),
}

pub(super) fn is_separator(c: char) -> bool {
    c.is_whitespace() || "()[]{}|;".contains(c)
}

pub(super) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for run in text.split(is_separator).filter(|r| !r.is_empty()) {
        push_run(run, &mut tokens);
    }
    tokens
}

pub(super) fn push_run(run: &str, tokens: &mut Vec<Token>) {
    let mut rest = run.trim_matches(|c| c == ',' || c == ':');
    loop {
        let (token, len) = if rest.starts_with("<=") {
            (Token::Less { inclusive: true }, 2)
        } else if rest.starts_with('≤') {
            (Token::Less { inclusive: true }, '≤'.len_utf8())
        } else if rest.starts_with('<') {
            (Token::Less { inclusive: false }, 1)
        } else if rest.starts_with(">=") {
            (Token::Greater { inclusive: true }, 2)
        } else if rest.starts_with('≥') {
            (Token::Greater { inclusive: true }, '≥'.len_utf8())
        } else if rest.starts_with('>') {
            (Token::Greater { inclusive: false }, 1)
        } else {
            break;
        };
        tokens.push(token);
        rest = &rest[len..];
    }
    if rest.is_empty() {
        return;
    }
    if rest == "-" || rest == "–" || rest.eq_ignore_ascii_case("to") {
        tokens.push(Token::Dash);
        return;
    }
    if let Some(number) = number(rest) {
        tokens.push(Token::Num(number));
        return;
    }
    for dash in ['-', '–'] {
        if let Some((low, high)) = rest.split_once(dash)
            && let (Some(low), Some(high)) = (number(low), number(high))
        {
            tokens.extend([Token::Num(low), Token::Dash, Token::Num(high)]);
            return;
        }
    }
    tokens.push(Token::Word(rest.to_owned()));
}

/// A plain decimal number: `105`, `5.4`, `5,4` (decimal comma), `250,000` (grouping).
pub(super) fn number(text: &str) -> Option<f64> {
    let plain = text.starts_with(|c: char| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',');
    if !plain {
        return None;
    }
    let normalised = match text.split_once(',') {
        None => text.to_owned(),
        Some((whole, fraction))
            if !whole.contains('.')
                && (1..=2).contains(&fraction.len())
                && fraction.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{whole}.{fraction}")
        }
        Some((lead, _)) => {
            let (integer, _) = text.split_once('.').unwrap_or((text, ""));
            let grouped = lead.len() <= 3 && integer.split(',').skip(1).all(|g| g.len() == 3);
            if !grouped {
                return None;
            }
            text.replace(',', "")
        }
    };
    normalised.parse::<f64>().ok().filter(|n| n.is_finite())
}

pub(super) fn first_value(tokens: &[Token]) -> Option<(f64, Option<&'static str>, usize)> {
    let mut qualifier = None;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Less { .. } => qualifier = Some("<"),
            Token::Greater { .. } => qualifier = Some(">"),
            Token::Num(value) => return Some((*value, qualifier, i + 1)),
            _ => return None,
        }
    }
    None
}

/// A unit the analyte knows at `tokens[at]` (possibly printed as two words, "1.73 m2"),
/// and how many tokens it took.
pub(super) fn unit_at(analyte: &Analyte, tokens: &[Token], at: usize) -> Option<(String, usize)> {
    let Some(Token::Word(first)) = tokens.get(at) else {
        return None;
    };
    if let Some(Token::Word(second)) = tokens.get(at + 1) {
        let joined = format!("{first} {second}");
        if analyte.conversion(&joined).is_some() {
            return Some((joined, 2));
        }
    }
    analyte.conversion(first).map(|_| (first.clone(), 1))
}

/// A unit-looking word right after the value that the analyte does not know ("mg%", "x10E3").
/// It is kept as printed, so the value is never silently read in the wrong unit.
pub(super) fn unknown_unit(tokens: &[Token], at: usize) -> Option<String> {
    match tokens.get(at) {
        Some(Token::Word(word)) if word.contains(['/', '%', '^']) => Some(word.clone()),
        _ => None,
    }
}

/// The first reference range among `tokens`: `a - b`, `< b`, `<= b`, `> a`, `>= a`.
pub(super) fn printed_range(tokens: &[Token]) -> Option<Bounds> {
    let span = tokens.windows(3).find_map(|window| match window {
        [Token::Num(low), Token::Dash, Token::Num(high)] if low <= high => {
            Some(between(*low, *high))
        }
        _ => None,
    });
    span.or_else(|| {
        tokens.windows(2).find_map(|window| match window {
            [Token::Less { inclusive }, Token::Num(high)] => Some(Bounds {
                high_inclusive: *inclusive,
                ..below(*high)
            }),
            [Token::Greater { inclusive }, Token::Num(low)] => Some(Bounds {
                low_inclusive: *inclusive,
                ..at_least(*low)
            }),
            _ => None,
        })
    })
}
