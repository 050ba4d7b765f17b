//! Cursors: an edge's position, opaque to clients. base64 of the sort key (timestamp in
//! microseconds) and the row id as tie-breaker.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};

/// The position of a row in its list: sort timestamp, then id (`bigint` ids fit as well).
pub type SortKey = (DateTime<Utc>, i64);

/// An edge's position, encoded only when a client selects its `cursor` (or `pageInfo`'s).
pub struct Cursor(pub(super) SortKey);

impl async_graphql::connection::CursorType for Cursor {
    type Error = &'static str;

    fn decode_cursor(cursor: &str) -> Result<Self, Self::Error> {
        decode_cursor(cursor)
            .map(Cursor)
            .ok_or("not a cursor from this list")
    }

    fn encode_cursor(&self) -> String {
        encode_cursor(self.0)
    }
}

pub fn encode_cursor((at, id): SortKey) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{}:{id}", at.timestamp_micros()))
}

pub(super) fn decode_cursor(cursor: &str) -> Option<SortKey> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let mut parts = raw.strip_prefix("v1:")?.splitn(2, ':');
    let micros = parts.next()?.parse().ok()?;
    let id = parts.next()?.parse().ok()?;
    Some((DateTime::from_timestamp_micros(micros)?, id))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_to_the_microsecond() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap_or_default();
        assert_eq!(decode_cursor(&encode_cursor((at, 42))), Some((at, 42)));
    }

    #[test]
    fn foreign_or_garbled_cursors_are_rejected() {
        for bad in ["", "abc", "djE6eDo1", &URL_SAFE_NO_PAD.encode("v2:1:2")] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }
}

/// Cursors come back from clients: any text must decode to a key or to nothing, never panic,
/// and every key must survive the trip (10,000 cases each).
#[cfg(test)]
mod cursor_properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn every_key_round_trips(
            micros in -62_135_596_800_000_000_i64..253_402_300_799_999_999_i64,
            id in any::<i64>(),
        ) {
            let at = DateTime::from_timestamp_micros(micros).unwrap_or_default();
            prop_assert_eq!(decode_cursor(&encode_cursor((at, id))), Some((at, id)));
        }

        #[test]
        fn any_text_decodes_or_is_refused(text in "\\PC*") {
            let _ = decode_cursor(&text);
        }

        #[test]
        fn any_encoded_bytes_decode_or_are_refused(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            if let Some(key) = decode_cursor(&URL_SAFE_NO_PAD.encode(&bytes)) {
                // Whatever decodes is a key that encodes back to a valid cursor.
                prop_assert_eq!(decode_cursor(&encode_cursor(key)), Some(key));
            }
        }
    }
}
