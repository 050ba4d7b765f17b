//! Storage keys: `<kind>/<user id>/<uuid>`, always chosen by the server. A key read back from
//! the database is parsed again, so even a tampered row cannot name a path outside the store.

use std::fmt;

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    Report,
    Avatar,
    /// A user's data export archive (zip).
    Export,
}

impl KeyKind {
    pub const ALL: [KeyKind; 3] = [KeyKind::Report, KeyKind::Avatar, KeyKind::Export];

    pub fn prefix(self) -> &'static str {
        match self {
            Self::Report => "reports",
            Self::Avatar => "avatars",
            Self::Export => "exports",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StorageKey {
    pub kind: KeyKind,
    pub user_id: i32,
    pub id: Uuid,
}

impl StorageKey {
    /// A new key for a user's object.
    pub fn new(kind: KeyKind, user_id: i32) -> Self {
        Self {
            kind,
            user_id,
            id: Uuid::new_v4(),
        }
    }

    /// Parses `<kind>/<user id>/<uuid>`; anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('/');
        let (kind, user, id) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let kind = KeyKind::ALL.into_iter().find(|k| k.prefix() == kind)?;
        let user_id = user.parse::<i32>().ok().filter(|id| *id > 0)?;
        if user_id.to_string() != user {
            return None;
        }
        let id = Uuid::parse_str(id).ok()?;
        (id.hyphenated().to_string() == parts_id(text)).then_some(Self { kind, user_id, id })
    }
}

fn parts_id(text: &str) -> &str {
    text.rsplit('/').next().unwrap_or_default()
}

impl fmt::Display for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.kind.prefix(),
            self.user_id,
            self.id.hyphenated()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_nothing_else_parses() {
        let key = StorageKey::new(KeyKind::Report, 42);
        assert_eq!(StorageKey::parse(&key.to_string()), Some(key.clone()));
        let id = key.id;
        for bad in [
            format!("reports/42/{id}/x"),
            format!("../42/{id}"),
            format!("reports/../{id}"),
            format!("reports/042/{id}"),
            format!("reports/-1/{id}"),
            "reports/42/../../etc/passwd".to_owned(),
            format!("reports/42/{}", id.simple()),
            format!("/reports/42/{id}"),
        ] {
            assert_eq!(StorageKey::parse(&bad), None, "{bad}");
        }
    }
}
