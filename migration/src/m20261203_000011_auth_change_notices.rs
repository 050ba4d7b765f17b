//! Migration 11: every change to an account, and every change to a session that can end it,
//! is announced on the channel `auth_changes` with the account's id, on commit. Servers keep
//! recently seen callers in memory (`api/src/auth/session_cache.rs`) and forget an account
//! when its notice arrives. A trigger rather than a call in each flow: no write, present or
//! future, from this code or from an operator's SQL, can change an account unannounced.
//! A session's `last_activity` and `last_write_at` move on every minute of use and change
//! nothing the cache decides by (it checks idleness against its own copy, and asks the
//! database once that says idle), so they are not announced.

use sea_orm_migration::prelude::*;

sql_migration!(UP, DOWN);

const UP: &str = r#"
-- The trigger's argument names the column holding the account's id (`id` in users,
-- `user_id` in user_sessions).
CREATE FUNCTION announce_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_changes', to_jsonb(OLD) ->> TG_ARGV[0]);
    RETURN NULL;
END
$$;

CREATE TRIGGER "tr-users-auth-change"
    AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION announce_auth_change('id');

CREATE TRIGGER "tr-user_sessions-auth-change"
    AFTER UPDATE OF user_id, session_token, expires_at, is_active, idle_timeout_seconds
        OR DELETE ON user_sessions
    FOR EACH ROW EXECUTE FUNCTION announce_auth_change('user_id');
"#;

const DOWN: &str = r#"
DROP TRIGGER "tr-user_sessions-auth-change" ON user_sessions;
DROP TRIGGER "tr-users-auth-change" ON users;
DROP FUNCTION announce_auth_change();
"#;
