//! Signed download links: absolute, short-lived URLs of stored files that work in an `<a href>`
//! or `<img src>` with no header.
//!
//! A link names the file, the account it was issued to and its expiry, signed with HMAC-SHA256
//! under the server secret (`OTP_SECRET`, which replicas share):
//! `{PUBLIC_BASE_URL}/files/reports/42?u=7&expires=1764700800&signature=...`. The download
//! handler checks the signature and the expiry, then checks again that the account may read
//! the file now (its owner, or a clinician whose grant still holds REPORTS) and that the file
//! still exists, as it does for a bearer token; clinicians' downloads are audited the same way.
//! Expiry times are rounded up to a whole `LINK_STEP`, so the same file's link stays the same for
//! a while and a browser can cache an image.

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::otp::OtpKey;

/// Links stay the same within this many seconds.
const LINK_STEP: i64 = 300;

/// What a link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Report,
    Avatar,
    Export,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Self::Report => "reports",
            Self::Avatar => "avatars",
            Self::Export => "exports",
        }
    }
}

/// Issues the links of one request, for its viewer.
#[derive(Clone)]
pub struct Links {
    key: OtpKey,
    base: Arc<str>,
    viewer: i32,
    expires: i64,
}

impl Links {
    /// Links for `viewer` under `base` (no trailing slash), valid at least `ttl_secs`.
    pub fn new(key: OtpKey, base: &str, viewer: i32, now: DateTime<Utc>, ttl_secs: u64) -> Self {
        let ttl = i64::try_from(ttl_secs).unwrap_or(i64::MAX / 2);
        let earliest = now.timestamp().saturating_add(ttl);
        let expires = earliest.saturating_add(LINK_STEP - 1) / LINK_STEP * LINK_STEP;
        Self {
            key,
            base: Arc::from(base.trim_end_matches('/')),
            viewer,
            expires,
        }
    }

    /// Where the links start (`PUBLIC_BASE_URL` or the request's origin), without a trailing
    /// slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The signed link of the file `id` of `kind`; `extra` (such as `v=<version>`) goes first
    /// in the query.
    pub fn url(&self, kind: Kind, id: i32, extra: Option<&str>) -> String {
        let signature = sign(&self.key, kind, id, self.viewer, self.expires);
        let extra = extra.map(|e| format!("{e}&")).unwrap_or_default();
        format!(
            "{}/files/{}/{id}?{extra}u={}&expires={}&signature={signature}",
            self.base,
            kind.path(),
            self.viewer,
            self.expires
        )
    }
}

/// Where links start: `PUBLIC_BASE_URL`, or this request's scheme and host (a proxy's
/// `X-Forwarded-Proto` and `X-Forwarded-Host` count).
pub fn base_url(req: &actix_web::HttpRequest, configured: Option<&str>) -> String {
    match configured {
        Some(base) => base.trim_end_matches('/').to_owned(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

/// The links of the request `req` for `viewer`, as the settings say, signed with `key`.
pub fn for_request(
    req: &actix_web::HttpRequest,
    settings: &crate::config::Settings,
    key: &OtpKey,
    viewer: i32,
    now: DateTime<Utc>,
) -> Links {
    Links::new(
        key.clone(),
        &base_url(req, settings.server.public_base_url.as_deref()),
        viewer,
        now,
        settings.storage.download_link_ttl_secs,
    )
}

/// The request's links (none without a viewer).
pub fn of<'a, T>(ctx: &async_graphql::context::ContextBase<'a, T>) -> Option<&'a Links> {
    ctx.data_opt::<Option<Links>>().and_then(Option::as_ref)
}

fn sign(key: &OtpKey, kind: Kind, id: i32, viewer: i32, expires: i64) -> String {
    let message = format!("file-link\n{}\n{id}\n{viewer}\n{expires}", kind.path());
    URL_SAFE_NO_PAD.encode(key.sign(message.as_bytes()))
}

/// The query of a signed link.
#[derive(Debug, Deserialize)]
pub struct Signed {
    u: i32,
    expires: i64,
    signature: String,
}

/// What a presented link is worth.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Issued to this account and still valid.
    Valid(i32),
    /// Issued by this server, but too late now.
    Expired,
    /// Not a link this server issued for this file.
    Invalid,
}

impl Signed {
    /// The signed-link parameters of a query string, if it has them.
    pub fn from_query(query: &str) -> Option<Self> {
        actix_web::web::Query::<Self>::from_query(query)
            .ok()
            .map(actix_web::web::Query::into_inner)
    }

    pub fn check(&self, key: &OtpKey, kind: Kind, id: i32, now: DateTime<Utc>) -> Verdict {
        let expected = sign(key, kind, id, self.u, self.expires);
        let genuine: bool =
            subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), self.signature.as_bytes()).into();
        if !genuine {
            Verdict::Invalid
        } else if now.timestamp() > self.expires {
            Verdict::Expired
        } else {
            Verdict::Valid(self.u)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn a_link_opens_its_file_for_its_account_until_it_expires() {
        let key = OtpKey::generate();
        let now = at(1_764_700_000);
        let links = Links::new(key.clone(), "https://api.example.com/", 7, now, 900);
        let url = links.url(Kind::Report, 42, None);
        assert!(
            url.starts_with("https://api.example.com/files/reports/42?u=7&expires="),
            "{url}"
        );
        let query = url.split_once('?').unwrap().1;
        let signed = Signed::from_query(query).unwrap();
        assert_eq!(signed.expires % LINK_STEP, 0);
        assert!(signed.expires >= now.timestamp() + 900);
        assert_eq!(signed.check(&key, Kind::Report, 42, now), Verdict::Valid(7));
        // Another file, another kind, another key, a changed account: not this link's.
        assert_eq!(signed.check(&key, Kind::Report, 43, now), Verdict::Invalid);
        assert_eq!(signed.check(&key, Kind::Export, 42, now), Verdict::Invalid);
        assert_eq!(
            signed.check(&OtpKey::generate(), Kind::Report, 42, now),
            Verdict::Invalid
        );
        let forged = Signed::from_query(&query.replace("u=7", "u=8")).unwrap();
        assert_eq!(forged.check(&key, Kind::Report, 42, now), Verdict::Invalid);
        // Too late.
        let later = at(signed.expires + 1);
        assert_eq!(
            signed.check(&key, Kind::Report, 42, later),
            Verdict::Expired
        );
        // The same link for a while, so browsers can cache images.
        let soon = Links::new(
            key,
            "https://api.example.com",
            7,
            at(now.timestamp() + 1),
            900,
        );
        assert_eq!(soon.url(Kind::Report, 42, None), url);
    }
}
