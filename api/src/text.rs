//! Characters that must not reach a stored name or a header built from one.
//!
//! Control characters (Unicode category Cc) break headers and logs. Format characters (Cf) are
//! invisible but change how text displays: the bidirectional controls U+202A-U+202E,
//! U+2066-U+2069, U+200E, U+200F and U+061C can make `r\u{202e}gnp.txt` show as "rtxt.png",
//! and zero-width ones (U+200B-U+200D, U+2060, U+FEFF) make two names that look alike differ.
//! The category comes from `unicode-properties` (unicode-rs), so it follows Unicode's tables
//! rather than a hand-kept list.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// A control or an invisible formatting character.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || c.general_category() == GeneralCategory::Format
}

/// Whether `text` holds any [`is_hidden`] character.
pub fn has_hidden(text: &str) -> bool {
    text.chars().any(is_hidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidirectional_zero_width_and_control_characters_are_hidden() {
        for c in [
            '\u{0}',
            '\u{7f}',
            '\u{85}',
            '\u{061c}',
            '\u{200b}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}',
            '\u{202a}',
            '\u{202e}',
            '\u{2060}',
            '\u{2066}',
            '\u{2069}',
            '\u{feff}',
            '\u{e0001}',
        ] {
            assert!(is_hidden(c), "U+{:04X}", c as u32);
        }
        for c in ['a', 'é', 'ß', '中', 'ع', ' ', '-', '_', '😀'] {
            assert!(!is_hidden(c), "{c}");
        }
        assert!(has_hidden("r\u{202e}gnp.txt"));
        assert!(!has_hidden("Blutbild März.pdf"));
    }
}
