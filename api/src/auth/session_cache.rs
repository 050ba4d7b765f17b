//! Callers kept in memory: a request whose token this server resolved a moment ago needs no
//! statement to know who it is (docs/auth.md, "The session cache").
//!
//! What keeps it true: a database trigger announces every change to an account or to a
//! session's liveness on the channel `auth_changes` (migration 11), on commit, whoever makes
//! it; every server LISTENs (`crate::notifications`) and forgets that account. A change made by
//! this server is forgotten here at once as well (`forget_user`), so its own next request never
//! waits for the notification. A lost LISTEN connection empties the cache and keeps it off
//! until listening works again, and no entry is used longer than `max_age`, so a notification
//! that never arrives cannot keep a revoked token alive past that bound.
//!
//! The race it must not lose: a request reads an account, the account changes and its notice
//! is handled, and only then does the request store what it read. Every forgetting moves
//! `generation` on, and a request stores its read only if the generation it saw before reading
//! is still current.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use super::{service, token, viewer::Viewer};

pub struct SessionCache {
    state: Mutex<State>,
    capacity: usize,
    max_age: Duration,
}

struct State {
    entries: HashMap<String, Entry>,
    /// The keys of each account's entries: forgetting an account (after every mutation) must
    /// not walk the whole cache.
    by_user: HashMap<i32, Vec<String>>,
    /// Moves on with every forgetting; a read started before it is not stored.
    generation: u64,
    /// Whether changes reach this server: a LISTEN connection is up.
    listening: bool,
    /// The last barrier seen (`notice`).
    barrier: i32,
}

impl State {
    fn remove(&mut self, hash: &str) {
        let Some(entry) = self.entries.remove(hash) else {
            return;
        };
        let user_id = entry.viewer.user.id;
        if let Some(hashes) = self.by_user.get_mut(&user_id) {
            hashes.retain(|h| h != hash);
            if hashes.is_empty() {
                self.by_user.remove(&user_id);
            }
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.by_user.clear();
    }
}

struct Entry {
    viewer: Viewer,
    stored: Instant,
}

impl SessionCache {
    /// At most `capacity` callers (0: no cache), each used for at most `max_age`. Off until
    /// `listening(true)`.
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        Self {
            state: Mutex::new(State {
                entries: HashMap::new(),
                by_user: HashMap::new(),
                generation: 0,
                listening: false,
                barrier: 0,
            }),
            capacity,
            max_age,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The caller behind `token`, from memory when a live entry is there, else from the
    /// database (and then kept). `records_write` and the minute-old activity are written to the
    /// database either way (`service::record_activity`).
    pub async fn resolve(
        &self,
        conn: &impl ConnectionTrait,
        token: &str,
        now: DateTime<Utc>,
        records_write: bool,
    ) -> Result<Option<Viewer>, DbErr> {
        let hash = token::hash(token);
        if let Some(mut viewer) = self.get(&hash, now) {
            let seen = viewer.session.last_activity;
            service::record_activity(conn, &mut viewer.session, now, records_write).await?;
            if viewer.session.last_activity != seen {
                self.touch(&hash, &viewer);
            }
            return Ok(Some(viewer));
        }
        let generation = self.generation();
        let Some(mut viewer) = service::find_live(conn, &hash, now).await? else {
            return Ok(None);
        };
        service::record_activity(conn, &mut viewer.session, now, records_write).await?;
        self.put(hash, &viewer, generation);
        Ok(Some(viewer))
    }

    /// A kept caller still live at `now` (by the rows it was read with); a stale or expired
    /// entry is dropped and the database asked again.
    fn get(&self, hash: &str, now: DateTime<Utc>) -> Option<Viewer> {
        let mut state = self.state();
        if !state.listening {
            return None;
        }
        let entry = state.entries.get(hash)?;
        if entry.stored.elapsed() < self.max_age && service::is_live(&entry.viewer, now) {
            return Some(entry.viewer.clone());
        }
        state.remove(hash);
        None
    }

    fn generation(&self) -> u64 {
        self.state().generation
    }

    /// Keeps `viewer` unless something was forgotten since `generation` was read (the read may
    /// predate that change) or changes cannot reach this server.
    fn put(&self, hash: String, viewer: &Viewer, generation: u64) {
        let mut state = self.state();
        if self.capacity == 0 || !state.listening || state.generation != generation {
            return;
        }
        if state.entries.len() >= self.capacity && !state.entries.contains_key(&hash) {
            // Full: start over (cheaper than tracking age order on every hit, and a full cache
            // refills with one statement per caller).
            state.clear();
        }
        state.remove(&hash);
        state
            .by_user
            .entry(viewer.user.id)
            .or_default()
            .push(hash.clone());
        state.entries.insert(
            hash,
            Entry {
                viewer: viewer.clone(),
                stored: Instant::now(),
            },
        );
    }

    /// The session's activity as just written, so the next request does not write it again.
    fn touch(&self, hash: &str, viewer: &Viewer) {
        if let Some(entry) = self.state().entries.get_mut(hash) {
            entry.viewer.session.last_activity = viewer.session.last_activity;
            entry.viewer.session.last_write_at = viewer.session.last_write_at;
        }
    }

    /// Forgets every session of `user_id`: its account or one of its sessions changed.
    pub fn forget_user(&self, user_id: i32) {
        let mut state = self.state();
        state.generation += 1;
        for hash in state.by_user.remove(&user_id).unwrap_or_default() {
            state.entries.remove(&hash);
        }
    }

    /// Whether changes reach this server. Either way everything kept is forgotten: changes
    /// may have been missed while the connection was down.
    pub fn listening(&self, listening: bool) {
        let mut state = self.state();
        state.generation += 1;
        state.clear();
        state.listening = listening;
    }

    /// Handles a notice of the channel `auth_changes`: the id of the account that changed. A
    /// negative number names no account: it is a barrier. Notices arrive in the order their
    /// transactions committed, so once a barrier is seen (`barrier`), so is every change
    /// committed before it was sent (tests wait so for their own SQL).
    pub fn notice(&self, payload: &str) {
        match payload.parse::<i32>() {
            Ok(barrier) if barrier < 0 => self.state().barrier = barrier,
            Ok(user_id) => self.forget_user(user_id),
            Err(_) => {
                tracing::warn!("malformed auth_changes notice; forgetting every session");
                let mut state = self.state();
                state.generation += 1;
                state.clear();
            }
        }
    }

    /// The last barrier notice seen.
    pub fn barrier(&self) -> i32 {
        self.state().barrier
    }

    /// Whether callers are kept and answered: changes are known to reach this server.
    pub fn is_on(&self) -> bool {
        self.capacity > 0 && self.state().listening
    }

    /// Callers kept now.
    pub fn len(&self) -> usize {
        self.state().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::Duration as Span;
    use entity::{user_sessions, users};

    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-03T12:00:00Z".parse().unwrap()
    }

    fn viewer(user_id: i32, session_id: i32) -> Viewer {
        let at = (now() - Span::minutes(1)).into();
        Viewer {
            user: users::Model {
                id: user_id,
                email: format!("u{user_id}@example.com"),
                password_hash: String::new(),
                first_name: "Kim".into(),
                last_name: "Lee".into(),
                date_of_birth: None,
                gender: None,
                phone_number: None,
                profile_image_url: None,
                is_verified: true,
                is_active: true,
                created_at: at,
                updated_at: at,
                role: "user".into(),
            },
            session: user_sessions::Model {
                id: session_id,
                user_id,
                session_token: format!("hash{session_id}"),
                device_info: serde_json::json!({}),
                ip_address: None,
                expires_at: (now() + Span::hours(1)).into(),
                is_active: true,
                created_at: at,
                last_activity: at,
                idle_timeout_seconds: 1800,
                last_write_at: None,
            },
        }
    }

    fn listening_cache(capacity: usize) -> SessionCache {
        let cache = SessionCache::new(capacity, Duration::from_secs(30));
        cache.listening(true);
        cache
    }

    fn keep(cache: &SessionCache, hash: &str, viewer: &Viewer) {
        cache.put(hash.into(), viewer, cache.generation());
    }

    #[test]
    fn a_kept_caller_is_answered_until_its_account_is_forgotten() {
        let cache = listening_cache(10);
        keep(&cache, "a", &viewer(1, 10));
        keep(&cache, "b", &viewer(1, 11));
        keep(&cache, "c", &viewer(2, 20));
        assert_eq!(cache.get("a", now()).unwrap().session.id, 10);
        cache.forget_user(1);
        assert!(cache.get("a", now()).is_none());
        assert!(cache.get("b", now()).is_none());
        assert_eq!(cache.get("c", now()).unwrap().user.id, 2);
        cache.notice("2");
        assert!(cache.is_empty());
    }

    #[test]
    fn a_read_that_began_before_a_change_is_not_kept() {
        let cache = listening_cache(10);
        let seen = cache.generation();
        // The account changes (its notice is handled) while the read is in flight...
        cache.forget_user(1);
        // ...so what the read found may be the old account: not kept.
        cache.put("a".into(), &viewer(1, 10), seen);
        assert!(cache.get("a", now()).is_none());
        // A change to another account counts too: the generation is one for all.
        let seen = cache.generation();
        cache.notice("7");
        cache.put("a".into(), &viewer(1, 10), seen);
        assert!(cache.is_empty());
    }

    #[test]
    fn nothing_is_kept_or_answered_while_changes_cannot_arrive() {
        let cache = SessionCache::new(10, Duration::from_secs(30));
        keep(&cache, "a", &viewer(1, 10));
        assert!(cache.is_empty(), "off until listening");
        cache.listening(true);
        keep(&cache, "a", &viewer(1, 10));
        assert!(cache.get("a", now()).is_some());
        cache.listening(false);
        assert!(cache.is_empty(), "a lost connection forgets everything");
        keep(&cache, "a", &viewer(1, 10));
        assert!(cache.get("a", now()).is_none());
    }

    #[test]
    fn an_entry_is_used_only_while_young_and_live() {
        let cache = SessionCache::new(10, Duration::ZERO);
        cache.listening(true);
        keep(&cache, "a", &viewer(1, 10));
        assert!(cache.get("a", now()).is_none(), "older than max_age");

        let cache = listening_cache(10);
        let mut expiring = viewer(1, 10);
        expiring.session.expires_at = (now() + Span::seconds(1)).into();
        keep(&cache, "a", &expiring);
        assert!(cache.get("a", now()).is_some());
        assert!(
            cache.get("a", now() + Span::seconds(1)).is_none(),
            "expired"
        );
        let idle = viewer(2, 20);
        keep(&cache, "b", &idle);
        // Last active a minute before now(), 30 idle minutes allowed.
        assert!(cache.get("b", now() + Span::minutes(28)).is_some());
        assert!(cache.get("b", now() + Span::minutes(29)).is_none(), "idle");
        let mut revoked = viewer(3, 30);
        revoked.session.is_active = false;
        keep(&cache, "c", &revoked);
        assert!(cache.get("c", now()).is_none());
        assert!(cache.by_user_is_consistent());
    }

    #[test]
    fn a_full_cache_starts_over_and_barriers_forget_nothing() {
        let cache = listening_cache(2);
        keep(&cache, "a", &viewer(1, 10));
        keep(&cache, "b", &viewer(2, 20));
        keep(&cache, "b", &viewer(2, 20));
        assert_eq!(cache.len(), 2, "the same key again does not count twice");
        keep(&cache, "c", &viewer(3, 30));
        assert_eq!(cache.len(), 1);
        assert!(cache.get("c", now()).is_some());
        cache.notice("-42");
        assert_eq!(cache.barrier(), -42);
        assert_eq!(cache.len(), 1);
        cache.notice("garbage");
        assert!(cache.is_empty(), "an unreadable notice forgets everything");
        assert!(cache.by_user_is_consistent());
    }

    impl SessionCache {
        fn by_user_is_consistent(&self) -> bool {
            let state = self.state();
            let indexed: usize = state.by_user.values().map(Vec::len).sum();
            indexed == state.entries.len()
                && state.by_user.iter().all(|(user, hashes)| {
                    hashes.iter().all(|h| {
                        state
                            .entries
                            .get(h)
                            .is_some_and(|e| e.viewer.user.id == *user)
                    })
                })
        }
    }
}
