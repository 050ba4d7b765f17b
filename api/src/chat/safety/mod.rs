//! The safety layer: runs on every user message, whatever assistant answers, and no model can
//! switch it off. It finds red-flag situations (chest pain, stroke signs, trouble breathing,
//! severe bleeding, anaphylaxis, self-harm, overdose, loss of consciousness) and puts emergency
//! or crisis guidance first in the reply; the flags are stored in the reply's metadata.
//!
//! The phrases live in `red_flags.json`. Matching works on words: lower case, punctuation and
//! apostrophes dropped ("can't" is "cant"), one typo tolerated in words of five or more
//! letters ("chset pian" is "chest pain"), and a phrase preceded within three words of its own
//! clause by a negation ("no chest pain", "I don't have chest pain") does not count.

use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Table {
    negations: Vec<String>,
    categories: Vec<Category>,
}

#[derive(Debug, Deserialize)]
struct Category {
    key: String,
    guidance: Guidance,
    phrases: Vec<String>,
}

/// Guidance the safety layer put at the top of a reply.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[graphql(name = "SafetyGuidance")]
pub enum Guidance {
    /// Call the local emergency number.
    Emergency,
    /// Reach a crisis line (self-harm).
    Crisis,
}

struct Compiled {
    negations: Vec<Vec<String>>,
    categories: Vec<(String, Guidance, Vec<Vec<String>>)>,
}

static TABLE: LazyLock<Compiled> = LazyLock::new(|| {
    // The file is part of the build; a malformed one fails the unit tests, and here yields
    // an empty table only if it could not be parsed at all (never at run time in practice).
    let table: Table = serde_json::from_str(include_str!("red_flags.json")).unwrap_or(Table {
        negations: Vec::new(),
        categories: Vec::new(),
    });
    Compiled {
        negations: table.negations.iter().map(|n| words(n)).collect(),
        categories: table
            .categories
            .into_iter()
            .map(|c| {
                (
                    c.key,
                    c.guidance,
                    c.phrases.iter().map(|p| words(p)).collect(),
                )
            })
            .collect(),
    }
});

pub const EMERGENCY_GUIDANCE: &str = "If this is happening now or getting worse, call your local emergency number (for example 911 in the US, 112 in the EU, 999 in the UK) or go to the nearest emergency department. Do not wait for an answer here.";
pub const CRISIS_GUIDANCE: &str = "If you are thinking about harming yourself, please reach out now: call or text 988 (Suicide & Crisis Lifeline, US), call your local emergency number, or contact a crisis line in your country. You do not have to go through this alone.";

/// What the safety layer found in one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assessment {
    /// Category keys, in table order.
    pub flags: Vec<String>,
    pub guidance: Vec<Guidance>,
}

impl Assessment {
    pub fn is_red_flag(&self) -> bool {
        !self.flags.is_empty()
    }

    /// The guidance that goes first in the reply ("" when there is none).
    pub fn notice(&self) -> String {
        let mut parts = Vec::new();
        if self.guidance.contains(&Guidance::Crisis) {
            parts.push(CRISIS_GUIDANCE);
        }
        if self.guidance.contains(&Guidance::Emergency) {
            parts.push(EMERGENCY_GUIDANCE);
        }
        parts.join(" ")
    }

    pub fn metadata(&self) -> serde_json::Value {
        serde_json::json!({ "redFlags": self.flags, "guidance": self.guidance })
    }
}

/// Lower-case words without punctuation; apostrophes vanish so "can't" is "cant".
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace(['\'', '’'], "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Clauses end at sentence punctuation and "but": a negation does not reach across them.
fn clauses(text: &str) -> Vec<Vec<String>> {
    text.split(['.', '!', '?', ';', ',', '\n'])
        .flat_map(|part| {
            let words = words(part);
            words
                .split(|w| w == "but" || w == "although" || w == "though")
                .map(<[String]>::to_vec)
                .collect::<Vec<_>>()
        })
        .filter(|clause| !clause.is_empty())
        .collect()
}

/// Equal, or (for words of five letters or more) one edit apart, counting a swap of two
/// neighbouring letters as one edit.
fn similar(said: &str, phrase: &str) -> bool {
    if said == phrase {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (said.chars().collect(), phrase.chars().collect());
    if b.len() < 5 || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    // Optimal string alignment distance, stopped early above 1.
    let mut previous2: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            current[j] = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                current[j] = current[j].min(previous2[j - 2] + 1);
            }
        }
        previous2 = std::mem::replace(&mut previous, current);
    }
    previous[b.len()] <= 1
}

fn matches_at(clause: &[String], at: usize, phrase: &[String]) -> bool {
    at + phrase.len() <= clause.len()
        && phrase
            .iter()
            .zip(&clause[at..])
            .all(|(want, said)| similar(said, want))
}

fn negated(clause: &[String], at: usize, negations: &[Vec<String>]) -> bool {
    let window = &clause[at.saturating_sub(3)..at];
    negations.iter().any(|negation| {
        (0..window.len()).any(|start| {
            window.len() - start >= negation.len()
                && negation.iter().zip(&window[start..]).all(|(n, w)| n == w)
        })
    })
}

/// Runs the detector over one message.
pub fn assess(text: &str) -> Assessment {
    let table = &*TABLE;
    let clauses = clauses(text);
    let mut assessment = Assessment::default();
    for (key, guidance, phrases) in &table.categories {
        let found = clauses.iter().any(|clause| {
            phrases.iter().any(|phrase| {
                (0..clause.len()).any(|at| {
                    matches_at(clause, at, phrase) && !negated(clause, at, &table.negations)
                })
            })
        });
        if found {
            assessment.flags.push(key.clone());
            if !assessment.guidance.contains(guidance) {
                assessment.guidance.push(*guidance);
            }
        }
    }
    assessment
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn flags(text: &str) -> Vec<String> {
        assess(text).flags
    }

    #[test]
    fn the_table_parses_and_every_phrase_is_detected_in_a_sentence() {
        let table: Table = serde_json::from_str(include_str!("red_flags.json")).unwrap();
        assert!(table.categories.len() >= 8);
        let mut count = 0;
        for category in &table.categories {
            for phrase in &category.phrases {
                let sentence = format!("Since this morning I have {phrase} and I am scared.");
                assert!(
                    flags(&sentence).contains(&category.key),
                    "{phrase:?} was not detected as {}",
                    category.key
                );
                count += 1;
            }
        }
        assert!(count >= 60, "{count} phrases");
    }

    #[test]
    fn plain_misspelled_and_negated_phrasings() {
        let cases: &[(&str, &[&str])] = &[
            ("I've got this crushing chest pain", &["chest_pain"]),
            ("my chset pain is bad", &["chest_pain"]),
            ("my chest pian is bad", &["chest_pain"]),
            ("i want to kil myself", &["self_harm"]),
            ("I don't want to give up on my diet", &[]),
            ("CHEST PAIN!!!", &["chest_pain"]),
            ("there's pressure in my chest when I walk", &["chest_pain"]),
            ("no chest pain, just a cough", &[]),
            ("I don't have chest pain anymore", &[]),
            (
                "I do not have chest pain but I can't breathe",
                &["breathing"],
            ),
            (
                "my dad's face is drooping and his speech is slurred",
                &["stroke"],
            ),
            ("I cant breath", &["breathing"]),
            ("I can't breathe properly", &["breathing"]),
            ("never had trouble breathing", &[]),
            ("my cut won't stop bleeding", &["bleeding"]),
            ("I feel like I want to die", &["self_harm"]),
            ("sometimes I think about suicde", &["self_harm"]),
            ("I'm not suicidal, just tired", &[]),
            ("I took too many pills", &["overdose"]),
            ("she passed out in the kitchen", &["unconscious"]),
            ("my throat is closing after a bee sting", &["anaphylaxis"]),
            ("how much sleep do I need?", &[]),
            ("what does my cholesterol result mean", &[]),
            ("is a stroke of luck good for the heart", &["stroke"]),
            (
                "my chest hurts and I want to kill myself",
                &["chest_pain", "self_harm"],
            ),
        ];
        for (text, expected) in cases {
            let expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
            assert_eq!(flags(text), expected, "{text}");
        }
    }

    #[test]
    fn guidance_is_crisis_first_then_emergency() {
        let assessment = assess("I want to kill myself and I took too many pills");
        let notice = assessment.notice();
        assert!(notice.starts_with(CRISIS_GUIDANCE), "{notice}");
        assert!(notice.ends_with(EMERGENCY_GUIDANCE), "{notice}");
        assert_eq!(assess("hello").notice(), "");
    }

    #[test]
    fn typos_are_tolerated_only_in_longer_words() {
        assert!(similar("breath", "breathe"));
        assert!(similar("chset", "chest"));
        assert!(!similar("kil", "kill"), "short words must match exactly");
        assert!(!similar("breakfast", "breathe"));
    }
}
