//! The account flows: codes by email, sign-up, sign-in, sign-out, password reset and change,
//! email change, account deletion. Resolvers parse and call these; the rules live here.
//!
//! Answers never tell whether an address has an account: code and reset requests answer the
//! same, and mail is queued and sent by the job runner (`mail::job`); a sign-in for an unknown address verifies against a dummy
//! hash so it costs the same time as a wrong password, and fails with the same error.

use chrono::{DateTime, Duration, Utc};
use entity::{otp_verifications, password_reset_tokens, user_sessions, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait, sea_query::Expr,
};
use serde_json::json;

use super::{
    audit::{self, AuditEvent},
    password,
    service::{self, NewSession, Revoke},
    token,
};
use crate::{
    context::{ClientInfo, Viewer},
    enums::{AuditEventType, Gender, OtpPurpose},
    error::AppError,
    mail::{self, OutgoingMail},
    rate_limit::{self, Rule},
    services::AppServices,
    users::validate,
};

pub const OTP_TTL: Duration = Duration::minutes(10);
pub const OTP_MAX_ATTEMPTS: i32 = 5;
pub const RESET_TOKEN_TTL: Duration = Duration::minutes(60);
/// How long a security notice (password changed, address taken) is still worth delivering.
const NOTICE_TTL: Duration = Duration::days(7);
pub const DEVICE_INFO_MAX_BYTES: usize = 1024;
const USER_AGENT_MAX_CHARS: usize = 256;

/// Mails per address and purpose: one a minute, five an hour.
const SENDS_PER_ADDRESS: [Rule; 2] = [
    Rule::new(1, Duration::minutes(1)),
    Rule::new(5, Duration::hours(1)),
];
/// Mails requested from one client address.
const SENDS_PER_IP: [Rule; 1] = [Rule::new(30, Duration::hours(1))];
/// Failed password sign-ins for one account from one source (a client address, or a device
/// with a live session of the account): refused beyond this, so strangers' failures never
/// lock the owner out elsewhere (docs/auth.md "Sign-in throttling").
const FAILURES_PER_ACCOUNT_AND_SOURCE: [Rule; 1] = [Rule::new(5, Duration::minutes(15))];
/// Failed sign-ins (password or code) from one client address, whatever the account.
const FAILURES_PER_IP: [Rule; 1] = [Rule::new(20, Duration::minutes(15))];
/// Failed password sign-ins for one account from every source: never refused, but from the
/// `SLOW_DOWN_AFTER`th in `SLOW_DOWN_WINDOW` each attempt on the account waits, doubling from
/// one second up to `SLOW_DOWN_MAX` (a distributed guess slows down; the owner still gets in).
const SLOW_DOWN_WINDOW: Duration = Duration::minutes(15);
const SLOW_DOWN_AFTER: u64 = 10;
const SLOW_DOWN_MAX: std::time::Duration = std::time::Duration::from_secs(8);

/// What an account flow runs with.
pub struct Env<'a> {
    pub db: &'a DatabaseConnection,
    pub services: &'a AppServices,
    pub client: &'a ClientInfo,
}

impl Env<'_> {
    fn now(&self) -> DateTime<Utc> {
        self.services.clock.now()
    }

    /// Queues a mail on `conn`: the flow's transaction, so the mail exists exactly when what it
    /// announces does. Wake the job runner after the commit.
    async fn queue_mail(
        &self,
        conn: &impl ConnectionTrait,
        to: &str,
        subject: &str,
        body: String,
        valid_for: Duration,
    ) -> Result<(), AppError> {
        let mail = OutgoingMail {
            to: to.to_owned(),
            subject: subject.to_owned(),
            body,
            unsubscribe: None,
        };
        mail::job::queue(conn, self.services, &mail, valid_for, None).await?;
        Ok(())
    }

    /// Queues a notice outside any transaction and wakes the job runner.
    async fn notify(&self, to: &str, subject: &str, body: String) -> Result<(), AppError> {
        self.queue_mail(self.db, to, subject, body, NOTICE_TTL)
            .await?;
        self.services.wake_jobs();
        Ok(())
    }

    async fn audit(&self, event: AuditEvent) -> Result<(), AppError> {
        audit::record(self.db, event, self.now()).await?;
        Ok(())
    }

    fn own_event(&self, event: AuditEventType, user_id: i32) -> AuditEvent {
        AuditEvent::own(event, user_id, self.client.ip)
    }
}

/// The device a sign-in comes from.
pub struct Device {
    /// What the client says about itself: a JSON object of at most 1 KiB.
    pub info: Option<serde_json::Value>,
    /// Longer-lived session (30 days, 7 days idle by default).
    pub remember: bool,
}

pub struct SignedIn {
    pub token: String,
    pub user: users::Model,
    pub session: user_sessions::Model,
}

pub struct CodeSent {
    pub expires_in: Duration,
    pub resend_after: Duration,
}

pub struct Registration {
    pub email: String,
    pub code: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<chrono::NaiveDate>,
    pub gender: Option<Gender>,
    pub phone_number: Option<String>,
}

/// Buckets and logs name an address by its hash, never in clear.
fn address_key(email: &str) -> String {
    token::hash(email)
}

fn invalid_code() -> AppError {
    AppError::bad_input(
        "code",
        "the code is wrong or has expired; ask for a new one",
    )
}

/// An address taken between code and use answers like any code that does not fit, so the
/// answer does not tell that the address has an account.
fn taken_as_invalid_code(err: sea_orm::DbErr) -> AppError {
    match AppError::from(err) {
        AppError::Conflict(_) => invalid_code(),
        other => other,
    }
}

/// Checks the device input and adds what the server knows (user agent).
fn device_info(device: &Device, client: &ClientInfo) -> Result<serde_json::Value, AppError> {
    let mut info = match &device.info {
        None | Some(serde_json::Value::Null) => serde_json::Map::new(),
        Some(serde_json::Value::Object(map)) => map.clone(),
        Some(_) => return Err(AppError::bad_input("device.info", "must be a JSON object")),
    };
    let size = serde_json::to_vec(&info)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > DEVICE_INFO_MAX_BYTES {
        return Err(AppError::bad_input(
            "device.info",
            format!("must be at most {DEVICE_INFO_MAX_BYTES} bytes of JSON"),
        ));
    }
    if let Some(agent) = &client.user_agent {
        info.insert(
            "userAgent".into(),
            json!(agent.chars().take(USER_AGENT_MAX_CHARS).collect::<String>()),
        );
    }
    Ok(serde_json::Value::Object(info))
}

async fn find_user(env: &Env<'_>, email: &str) -> Result<Option<users::Model>, AppError> {
    Ok(users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(env.db)
        .await?)
}

async fn sign_in(
    env: &Env<'_>,
    user: users::Model,
    device: &Device,
    info: serde_json::Value,
) -> Result<SignedIn, AppError> {
    let (lifetime, idle_timeout) = env.services.sessions.for_device(device.remember);
    let new = NewSession {
        user_id: user.id,
        device_info: info,
        ip: env.client.ip,
        lifetime,
        idle_timeout,
    };
    let (token, session) = service::open_session(env.db, new, env.now()).await?;
    env.audit(env.own_event(AuditEventType::SignInSucceeded, user.id))
        .await?;
    Ok(SignedIn {
        token,
        user,
        session,
    })
}

// ---- sign-in throttling -------------------------------------------------------------------

/// Who is signing in, for throttling.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// A password from a client that holds no session of the account.
    Stranger,
    /// A password from a device with a live session of this account (`login` while signed
    /// in, re-authentication): throttled on its own, not with the client address.
    KnownDevice { session_id: i32 },
    /// A mailed one-time code: each code dies after `OTP_MAX_ATTEMPTS` wrong guesses and codes
    /// are sent at most `SENDS_PER_ADDRESS`, so only the client address is throttled here.
    Code,
}

/// The refusing buckets of `source` for the account whose `address_key` is `account`.
fn failure_buckets(env: &Env<'_>, account: &str, source: Source) -> Vec<(String, &'static [Rule])> {
    let mut buckets = Vec::new();
    match source {
        Source::Stranger => {
            let ip = env
                .client
                .ip
                .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
            buckets.push((
                format!("sign-in:account:{account}:ip:{ip}"),
                &FAILURES_PER_ACCOUNT_AND_SOURCE[..],
            ));
        }
        Source::KnownDevice { session_id } => buckets.push((
            format!("sign-in:account:{account}:session:{session_id}"),
            &FAILURES_PER_ACCOUNT_AND_SOURCE[..],
        )),
        Source::Code => {}
    }
    if !matches!(source, Source::KnownDevice { .. })
        && let Some(ip) = env.client.ip
    {
        buckets.push((format!("sign-in:ip:{ip}"), &FAILURES_PER_IP[..]));
    }
    buckets
}

/// Takes a sign-in attempt slot in each of the source's buckets (RATE_LIMITED when one is
/// full). Slots are taken before the secret is checked, atomically, so parallel guesses cannot
/// all slip past a limit; a successful attempt gives its slots back, so only failures count.
/// A password attempt also counts on the account across all sources and, past
/// `SLOW_DOWN_AFTER` failures, waits before it is checked (a known device does not wait).
async fn take_sign_in_slots(
    env: &Env<'_>,
    email: &str,
    source: Source,
) -> Result<Vec<i64>, AppError> {
    let account = address_key(email);
    let mut slots = Vec::new();
    for (bucket, rules) in failure_buckets(env, &account, source) {
        slots.push(rate_limit::hit(env.db, &bucket, rules, env.now()).await?);
    }
    if matches!(source, Source::Code) {
        return Ok(slots);
    }
    let bucket = format!("sign-in:account:{account}");
    let (slot, earlier) = rate_limit::record(env.db, &bucket, SLOW_DOWN_WINDOW, env.now()).await?;
    slots.push(slot);
    if matches!(source, Source::Stranger) {
        tokio::time::sleep(slow_down(earlier)).await;
    }
    Ok(slots)
}

/// The wait before a password attempt on an account that failed `earlier` times in the window.
fn slow_down(earlier: u64) -> std::time::Duration {
    match earlier.checked_sub(SLOW_DOWN_AFTER) {
        None => std::time::Duration::ZERO,
        Some(over) => std::time::Duration::from_secs(1u64 << over.min(8)).min(SLOW_DOWN_MAX),
    }
}

async fn sign_in_succeeded(env: &Env<'_>, slots: &[i64]) -> Result<(), AppError> {
    rate_limit::forget(env.db, slots).await?;
    Ok(())
}

async fn sign_in_failed(env: &Env<'_>, user: Option<&users::Model>) -> Result<(), AppError> {
    let event = AuditEvent {
        event: AuditEventType::SignInFailed,
        actor: None,
        subject: user.map(|u| u.id),
        ip: env.client.ip,
        details: json!({}),
    };
    env.audit(event).await
}

/// Verifies `password` for the account at `email` (or a dummy hash when there is none or it
/// is deactivated, to take the same time). Failures count against the sign-in limits.
async fn check_password(
    env: &Env<'_>,
    email: &str,
    password: &str,
    user: Option<&users::Model>,
    source: Source,
) -> Result<(), AppError> {
    let slots = take_sign_in_slots(env, email, source).await?;
    let usable = user.filter(|u| u.is_active);
    let hash = usable.map_or(env.services.dummy_password_hash.as_str(), |u| {
        u.password_hash.as_str()
    });
    let matches = password::verify(password, hash).await?;
    if matches && usable.is_some() {
        return sign_in_succeeded(env, &slots).await;
    }
    sign_in_failed(env, user).await?;
    Err(AppError::InvalidCredentials)
}

/// Re-authentication of a signed-in person by password: a wrong one counts as a sign-in
/// failure of that device and is reported against `field`.
async fn reauthenticate(
    env: &Env<'_>,
    viewer: &Viewer,
    password: &str,
    field: &str,
) -> Result<(), AppError> {
    let source = Source::KnownDevice {
        session_id: viewer.session.id,
    };
    check_password(
        env,
        &viewer.user.email,
        password,
        Some(&viewer.user),
        source,
    )
    .await
    .map_err(|err| match err {
        AppError::InvalidCredentials => AppError::bad_input(field, "the password is not right"),
        other => other,
    })
}

// ---- one-time codes ------------------------------------------------------------------------

async fn throttle_send(env: &Env<'_>, bucket: String) -> Result<(), AppError> {
    if let Some(ip) = env.client.ip {
        rate_limit::hit(env.db, &format!("send:ip:{ip}"), &SENDS_PER_IP, env.now()).await?;
    }
    rate_limit::hit(env.db, &bucket, &SENDS_PER_ADDRESS, env.now()).await?;
    Ok(())
}

/// Issues a new code for (email, purpose), killing older ones, and mails it.
async fn send_code(env: &Env<'_>, email: &str, purpose: OtpPurpose) -> Result<(), AppError> {
    let code = super::otp::generate_code();
    let txn = env.db.begin().await?;
    otp_verifications::Entity::update_many()
        .col_expr(otp_verifications::Column::IsUsed, Expr::value(true))
        .filter(otp_verifications::Column::Email.eq(email))
        .filter(otp_verifications::Column::Purpose.eq(purpose.as_db()))
        .filter(otp_verifications::Column::IsUsed.eq(false))
        .exec(&txn)
        .await?;
    otp_verifications::ActiveModel {
        email: Set(email.to_owned()),
        otp_code: Set(env.services.otp_key.digest(purpose.as_db(), email, &code)),
        purpose: Set(purpose.as_db().to_owned()),
        expires_at: Set((env.now() + OTP_TTL).into()),
        created_at: Set(env.now().into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let (subject, body) = code_mail(&code, purpose);
    env.queue_mail(&txn, email, subject, body, OTP_TTL).await?;
    txn.commit().await?;
    env.services.wake_jobs();
    Ok(())
}

/// Spends the current code for (email, purpose) if `code` is it. A wrong guess counts an
/// attempt; after five the code is dead. Used, expired and superseded codes never match.
async fn consume_code(
    env: &Env<'_>,
    email: &str,
    purpose: OtpPurpose,
    code: &str,
) -> Result<(), AppError> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid_code());
    }
    let txn = env.db.begin().await?;
    let current = otp_verifications::Entity::find()
        .filter(otp_verifications::Column::Email.eq(email))
        .filter(otp_verifications::Column::Purpose.eq(purpose.as_db()))
        .filter(otp_verifications::Column::IsUsed.eq(false))
        .filter(otp_verifications::Column::ExpiresAt.gt(env.now()))
        .filter(otp_verifications::Column::Attempts.lt(OTP_MAX_ATTEMPTS))
        .order_by_desc(otp_verifications::Column::CreatedAt)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let Some(current) = current else {
        return Err(invalid_code());
    };
    let matches = env
        .services
        .otp_key
        .matches(purpose.as_db(), email, code, &current.otp_code);
    let attempts = current.attempts;
    let mut row: otp_verifications::ActiveModel = current.into();
    if matches {
        row.is_used = Set(true);
    } else {
        row.attempts = Set(attempts + 1);
    }
    row.update(&txn).await?;
    txn.commit().await?;
    if matches { Ok(()) } else { Err(invalid_code()) }
}

fn code_mail(code: &str, purpose: OtpPurpose) -> (&'static str, String) {
    let what = match purpose {
        OtpPurpose::Registration => {
            "to confirm your email address and create your Echo Health account"
        }
        OtpPurpose::Login => "to sign in to Echo Health",
        OtpPurpose::EmailChange => "to move your Echo Health account to this email address",
    };
    (
        "Your Echo Health code",
        format!(
            "Your code: {code}\n\nUse it {what}. It expires in {} minutes and works once.\n\n\
             If you did not ask for it, ignore this mail; nobody can use it without your inbox.\n",
            OTP_TTL.num_minutes()
        ),
    )
}

/// Sends a code when the address may get one; answers the same in every case.
pub async fn request_email_otp(
    env: &Env<'_>,
    raw_email: &str,
    purpose: OtpPurpose,
    viewer: Option<&Viewer>,
) -> Result<CodeSent, AppError> {
    let email = validate::email("email", raw_email)?;
    if purpose == OtpPurpose::EmailChange && viewer.is_none() {
        return Err(AppError::Unauthenticated);
    }
    throttle_send(
        env,
        format!("otp:{}:{}", purpose.as_db(), address_key(&email)),
    )
    .await?;
    let account = find_user(env, &email).await?;
    match (purpose, &account) {
        // A new account for a free address, sign-in for an active one, a move to a free one.
        (OtpPurpose::Registration | OtpPurpose::EmailChange, None) | (OtpPurpose::Login, Some(users::Model { is_active: true, .. })) => {
            send_code(env, &email, purpose).await?;
            let actor = viewer.map(|v| v.user.id).or(account.as_ref().map(|a| a.id));
            let event = AuditEvent { event: AuditEventType::OtpSent, actor, subject: actor, ip: env.client.ip, details: json!({ "purpose": purpose.as_db() }) };
            env.audit(event).await?;
        }
        // The address is taken: its owner hears of the attempt instead of getting a code.
        (OtpPurpose::Registration | OtpPurpose::EmailChange, Some(_)) => env.notify(
            &email,
            "Someone tried to use your email address",
            "Someone asked to use this address for an Echo Health account, but it already has one.\n\n\
             If it was you, sign in instead (or reset your password). If not, you can ignore this mail.\n"
                .to_owned(),
        ).await?,
        // No active account to sign in to: nothing to send.
        (OtpPurpose::Login, _) => {}
    }
    Ok(CodeSent {
        expires_in: OTP_TTL,
        resend_after: SENDS_PER_ADDRESS[0].window,
    })
}

// ---- sign-up and sign-in ------------------------------------------------------------------

pub async fn register(
    env: &Env<'_>,
    input: Registration,
    device: Device,
) -> Result<SignedIn, AppError> {
    let email = validate::email("email", &input.email)?;
    let first_name = validate::name("firstName", &input.first_name)?;
    let last_name = validate::name("lastName", &input.last_name)?;
    let date_of_birth = input
        .date_of_birth
        .map(|d| validate::date_of_birth("dateOfBirth", d, env.now()))
        .transpose()?;
    let phone_number = input
        .phone_number
        .as_deref()
        .map(|p| validate::phone_number("phoneNumber", p))
        .transpose()?;
    password::check_strength(
        "password",
        &input.password,
        &[&email, &first_name, &last_name],
    )?;
    let info = device_info(&device, env.client)?;
    // Everything the person typed is checked before the code is spent.
    consume_code(env, &email, OtpPurpose::Registration, &input.code).await?;
    let password_hash = password::hash(&input.password).await?;
    let user = users::ActiveModel {
        email: Set(email),
        password_hash: Set(password_hash),
        first_name: Set(first_name),
        last_name: Set(last_name),
        date_of_birth: Set(date_of_birth),
        gender: Set(input.gender.map(|g| g.as_db().to_owned())),
        phone_number: Set(phone_number),
        is_verified: Set(true),
        created_at: Set(env.now().into()),
        updated_at: Set(env.now().into()),
        ..Default::default()
    }
    .insert(env.db)
    .await
    // Taken in the meantime: answer as for any code that does not fit.
    .map_err(taken_as_invalid_code)?;
    env.audit(env.own_event(AuditEventType::AccountRegistered, user.id))
        .await?;
    sign_in(env, user, &device, info).await
}

/// Signs in with a password. `signed_in` is the caller's own session, if the request came
/// with one: a device already signed in to this account is throttled on its own, so strangers'
/// failures never keep it out.
pub async fn login(
    env: &Env<'_>,
    raw_email: &str,
    password: &str,
    device: Device,
    signed_in: Option<&Viewer>,
) -> Result<SignedIn, AppError> {
    let email = validate::email("email", raw_email)?;
    let info = device_info(&device, env.client)?;
    let user = find_user(env, &email).await?;
    let source = match (signed_in, &user) {
        (Some(viewer), Some(user)) if viewer.user.id == user.id => Source::KnownDevice {
            session_id: viewer.session.id,
        },
        _ => Source::Stranger,
    };
    check_password(env, &email, password, user.as_ref(), source).await?;
    let user = user.ok_or(AppError::InvalidCredentials)?;
    sign_in(env, user, &device, info).await
}

pub async fn login_with_otp(
    env: &Env<'_>,
    raw_email: &str,
    code: &str,
    device: Device,
) -> Result<SignedIn, AppError> {
    let email = validate::email("email", raw_email)?;
    let info = device_info(&device, env.client)?;
    let slots = take_sign_in_slots(env, &email, Source::Code).await?;
    let user = find_user(env, &email).await?.filter(|u| u.is_active);
    if let Err(err) = consume_code(env, &email, OtpPurpose::Login, code).await {
        sign_in_failed(env, user.as_ref()).await?;
        return Err(err);
    }
    sign_in_succeeded(env, &slots).await?;
    let user = user.ok_or_else(invalid_code)?;
    sign_in(env, user, &device, info).await
}

// ---- sessions ------------------------------------------------------------------------------

pub async fn revoke(env: &Env<'_>, viewer: &Viewer, which: Revoke) -> Result<u64, AppError> {
    let only_one = matches!(which, Revoke::One(_));
    let revoked = service::revoke_sessions(env.db, viewer.user.id, which).await?;
    if only_one && revoked == 0 {
        return Err(AppError::NotFound);
    }
    let event = env
        .own_event(AuditEventType::SessionRevoked, viewer.user.id)
        .with_details(json!({ "count": revoked }));
    env.audit(event).await?;
    Ok(revoked)
}

// ---- passwords -----------------------------------------------------------------------------

/// Mails a reset token when the address has an active account; answers the same either way.
pub async fn request_password_reset(env: &Env<'_>, raw_email: &str) -> Result<(), AppError> {
    let email = validate::email("email", raw_email)?;
    throttle_send(env, format!("reset:{}", address_key(&email))).await?;
    let Some(user) = find_user(env, &email).await?.filter(|u| u.is_active) else {
        return Ok(());
    };
    let reset_token = token::generate();
    let txn = env.db.begin().await?;
    password_reset_tokens::Entity::update_many()
        .col_expr(password_reset_tokens::Column::IsUsed, Expr::value(true))
        .filter(password_reset_tokens::Column::UserId.eq(user.id))
        .filter(password_reset_tokens::Column::IsUsed.eq(false))
        .exec(&txn)
        .await?;
    password_reset_tokens::ActiveModel {
        user_id: Set(user.id),
        token: Set(token::hash(&reset_token)),
        expires_at: Set((env.now() + RESET_TOKEN_TTL).into()),
        created_at: Set(env.now().into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let link = env
        .services
        .password_reset_url
        .as_ref()
        .map(|url| format!("\n{url}{reset_token}\n"))
        .unwrap_or_default();
    env.queue_mail(
        &txn,
        &email,
        "Reset your Echo Health password",
        format!(
            "Someone asked to reset the password of your Echo Health account.\n\n\
             Reset token: {reset_token}\n{link}\n\
             It expires in {} minutes and works once. Resetting signs you out everywhere.\n\
             If you did not ask for it, ignore this mail: your password stays as it is.\n",
            RESET_TOKEN_TTL.num_minutes()
        ),
        RESET_TOKEN_TTL,
    )
    .await?;
    txn.commit().await?;
    env.services.wake_jobs();
    env.audit(env.own_event(AuditEventType::PasswordResetRequested, user.id))
        .await
}

/// Queues, in the flow's transaction, the notice that the password changed.
async fn queue_password_changed_mail(
    env: &Env<'_>,
    txn: &impl ConnectionTrait,
    email: &str,
    how: &str,
) -> Result<(), AppError> {
    env.queue_mail(
        txn,
        email,
        "Your Echo Health password was changed",
        format!(
            "The password of your Echo Health account was {how}.\n\n\
             If this was not you, reset your password now and contact support.\n"
        ),
        NOTICE_TTL,
    )
    .await
}

/// Sets a new password with a mailed token. Never signs in; ends every session.
pub async fn reset_password(
    env: &Env<'_>,
    reset_token: &str,
    new_password: &str,
) -> Result<(), AppError> {
    let invalid = || {
        AppError::bad_input(
            "token",
            "the reset token is wrong, used or expired; ask for a new one",
        )
    };
    let txn = env.db.begin().await?;
    let row = password_reset_tokens::Entity::find()
        .filter(password_reset_tokens::Column::Token.eq(token::hash(reset_token.trim())))
        .filter(password_reset_tokens::Column::IsUsed.eq(false))
        .filter(password_reset_tokens::Column::ExpiresAt.gt(env.now()))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    let user = users::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(invalid)?;
    // A weak password leaves the token unspent.
    password::check_strength(
        "newPassword",
        new_password,
        &[&user.email, &user.first_name, &user.last_name],
    )?;
    let password_hash = password::hash(new_password).await?;
    let mut token_row: password_reset_tokens::ActiveModel = row.into();
    token_row.is_used = Set(true);
    token_row.update(&txn).await?;
    let mut account: users::ActiveModel = user.clone().into();
    account.password_hash = Set(password_hash);
    account.update(&txn).await?;
    service::revoke_sessions(&txn, user.id, Revoke::All).await?;
    audit::record(
        &txn,
        env.own_event(AuditEventType::PasswordReset, user.id),
        env.now(),
    )
    .await?;
    queue_password_changed_mail(env, &txn, &user.email, "reset with a mailed token").await?;
    txn.commit().await?;
    env.services.wake_jobs();
    Ok(())
}

/// Changes the caller's password; every other session ends. Returns how many ended.
pub async fn change_password(
    env: &Env<'_>,
    viewer: &Viewer,
    current: &str,
    new_password: &str,
) -> Result<u64, AppError> {
    let user = &viewer.user;
    reauthenticate(env, viewer, current, "currentPassword").await?;
    password::check_strength(
        "newPassword",
        new_password,
        &[&user.email, &user.first_name, &user.last_name],
    )?;
    let password_hash = password::hash(new_password).await?;
    let txn = env.db.begin().await?;
    let mut account: users::ActiveModel = user.clone().into();
    account.password_hash = Set(password_hash);
    account.update(&txn).await?;
    let revoked =
        service::revoke_sessions(&txn, user.id, Revoke::AllBut(viewer.session.id)).await?;
    audit::record(
        &txn,
        env.own_event(AuditEventType::PasswordChanged, user.id),
        env.now(),
    )
    .await?;
    queue_password_changed_mail(env, &txn, &user.email, "changed while signed in").await?;
    txn.commit().await?;
    env.services.wake_jobs();
    Ok(revoked)
}

// ---- email and deletion --------------------------------------------------------------------

/// Moves the account to `new_email`, proven by the code mailed there and the current password.
pub async fn change_email(
    env: &Env<'_>,
    viewer: &Viewer,
    raw_new_email: &str,
    code: &str,
    current_password: &str,
) -> Result<users::Model, AppError> {
    let new_email = validate::email("newEmail", raw_new_email)?;
    let user = &viewer.user;
    reauthenticate(env, viewer, current_password, "password").await?;
    consume_code(env, &new_email, OtpPurpose::EmailChange, code).await?;
    let mut account: users::ActiveModel = user.clone().into();
    account.email = Set(new_email.clone());
    let updated = account
        .update(env.db)
        .await
        .map_err(taken_as_invalid_code)?;
    env.audit(env.own_event(AuditEventType::EmailChanged, user.id))
        .await?;
    env.notify(
        &user.email,
        "Your Echo Health email address was changed",
        "Your Echo Health account now uses another email address; mail will no longer come here.\n\n\
         If this was not you, contact support at once.\n"
            .to_owned(),
    )
    .await?;
    Ok(updated)
}

/// Deletes the caller's account and, by cascade, everything of theirs.
pub async fn delete_account(
    env: &Env<'_>,
    viewer: &Viewer,
    password: &str,
) -> Result<(), AppError> {
    let user = &viewer.user;
    reauthenticate(env, viewer, password, "password").await?;
    let txn = env.db.begin().await?;
    users::Entity::delete_by_id(user.id).exec(&txn).await?;
    // The user row is gone, so the event keeps the number, not a reference.
    let event = AuditEvent {
        event: AuditEventType::AccountDeleted,
        actor: None,
        subject: None,
        ip: env.client.ip,
        details: json!({ "user_id": user.id }),
    };
    audit::record(&txn, event, env.now()).await?;
    txn.commit().await?;
    // The rows are gone; now their files. Whatever fails here, the sweeper finds unreferenced.
    if let Err(err) = env.services.storage.delete_user(user.id).await {
        tracing::error!(error = %err, "could not delete a deleted account's files; the sweeper will");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn password_attempts_slow_down_after_ten_failures_doubling_to_eight_seconds() {
        let waits: Vec<u64> = (0..16).map(|n| super::slow_down(n).as_secs()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 8, 8]);
        assert_eq!(super::slow_down(u64::MAX), Duration::from_secs(8));
    }
}
