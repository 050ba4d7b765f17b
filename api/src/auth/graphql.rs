//! Sign-in queries and account mutations: thin resolvers that parse their input and call
//! `flows`, where the rules live.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{
    flows::{self, Env, Registration},
    service::Revoke,
    types::{DeviceInput, UserSession},
};
use crate::{
    context::{client, db, optional_viewer, services, viewer},
    enums::{Gender, OtpPurpose},
    error::AppError,
    scalars,
    users::types::User,
};

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The device session this request is signed in with. UNAUTHENTICATED without a valid token.
    async fn current_session(&self, ctx: &Context<'_>) -> Result<UserSession, AppError> {
        Ok(UserSession::new(viewer(ctx)?.session.clone()))
    }
}

fn env<'a>(ctx: &Context<'a>) -> Env<'a> {
    Env {
        db: db(ctx),
        services: services(ctx),
        client: client(ctx),
    }
}

/// A one-time code to send by email.
#[derive(InputObject)]
pub struct RequestEmailOtpInput {
    /// The address to send the code to.
    pub email: String,
    /// What the code will be used for.
    pub purpose: OtpPurpose,
}

/// The same answer whether or not the address has an account.
#[derive(SimpleObject)]
pub struct RequestEmailOtpPayload {
    /// How long a mailed code stays valid.
    pub code_expires_in_seconds: i64,
    /// When another code may be asked for.
    pub retry_after_seconds: i64,
}

/// A new account: the address confirmed by a REGISTRATION code, a password and the profile.
#[derive(InputObject)]
pub struct RegisterInput {
    /// The address the code was sent to.
    pub email: String,
    /// The six-digit code mailed for REGISTRATION.
    pub code: String,
    /// 8 to 128 characters, not easily guessed.
    pub password: String,
    /// Given name, 1 to 100 characters.
    pub first_name: String,
    /// Family name, 1 to 100 characters.
    pub last_name: String,
    /// Birth date, in the past.
    pub date_of_birth: Option<scalars::Date>,
    /// Gender, when the person wants to say.
    pub gender: Option<Gender>,
    /// International E.164 form, e.g. +4915112345678.
    pub phone_number: Option<String>,
    /// The device signing in, for the session list.
    pub device: Option<DeviceInput>,
}

/// Password sign-in.
#[derive(InputObject)]
pub struct LoginInput {
    /// The account's address.
    pub email: String,
    /// The account's password.
    pub password: String,
    /// The device signing in, for the session list.
    pub device: Option<DeviceInput>,
}

/// Passwordless sign-in with a LOGIN code sent by email.
#[derive(InputObject)]
pub struct LoginWithOtpInput {
    /// The address the code was sent to.
    pub email: String,
    /// The six-digit code mailed for LOGIN.
    pub code: String,
    /// The device signing in, for the session list.
    pub device: Option<DeviceInput>,
}

/// A new password set with the token from a reset email.
#[derive(InputObject)]
pub struct ResetPasswordInput {
    /// The token from the reset mail.
    pub token: String,
    /// The new password (at least 10 characters, not easily guessed).
    pub new_password: String,
}

/// A password change by the signed-in person.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    /// The password now in use.
    pub current_password: String,
    /// The new password (at least 10 characters, not easily guessed).
    pub new_password: String,
}

/// A new sign-in address, confirmed by an EMAIL_CHANGE code sent to it.
#[derive(InputObject)]
pub struct ChangeEmailInput {
    /// The new address.
    pub new_email: String,
    /// The six-digit code mailed to the new address for EMAIL_CHANGE.
    pub code: String,
    /// The current password, to re-authenticate.
    pub password: String,
}

/// Confirmation of an account deletion.
#[derive(InputObject)]
pub struct DeleteAccountInput {
    /// The account's password.
    pub password: String,
}

/// How many sessions a mutation ended.
#[derive(SimpleObject)]
pub struct RevokeSessionsPayload {
    /// How many sessions were live and are now ended.
    pub revoked_count: i32,
}

impl From<u64> for RevokeSessionsPayload {
    fn from(count: u64) -> Self {
        Self {
            revoked_count: i32::try_from(count).unwrap_or(i32::MAX),
        }
    }
}

/// Done; nothing more to say (the answer is the same whether or not an account exists).
#[derive(SimpleObject)]
pub struct AcceptedPayload {
    /// Always true: the request was taken (the answer does not say whether the account exists).
    pub accepted: bool,
}

/// The account after its address changed.
#[derive(SimpleObject)]
pub struct ChangeEmailPayload {
    /// The account, with its new address.
    pub user: User,
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Mails a six-digit code for REGISTRATION, LOGIN or EMAIL_CHANGE (signed in; the code
    /// goes to the new address). Answers the same whether or not the address has an account;
    /// RATE_LIMITED with `retryAfterSeconds` when asked too often.
    async fn request_email_otp(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the operation needs; see the input type.")]
        input: RequestEmailOtpInput,
    ) -> Result<RequestEmailOtpPayload, AppError> {
        let sent =
            flows::request_email_otp(&env(ctx), &input.email, input.purpose, optional_viewer(ctx))
                .await?;
        Ok(RequestEmailOtpPayload {
            code_expires_in_seconds: sent.expires_in.num_seconds(),
            retry_after_seconds: sent.resend_after.num_seconds(),
        })
    }

    /// Creates a verified account with a REGISTRATION code and signs it in.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the operation needs; see the input type.")] input: RegisterInput,
    ) -> Result<AuthPayload, AppError> {
        let registration = Registration {
            email: input.email,
            code: input.code,
            password: input.password,
            first_name: input.first_name,
            last_name: input.last_name,
            date_of_birth: input.date_of_birth.map(|date| date.0),
            gender: input.gender,
            phone_number: input.phone_number,
        };
        Ok(flows::register(
            &env(ctx),
            registration,
            input.device.unwrap_or_default().into_device(),
        )
        .await?
        .into())
    }

    /// Signs in with email and password. One generic error for every failure.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the operation needs; see the input type.")] input: LoginInput,
    ) -> Result<AuthPayload, AppError> {
        Ok(flows::login(
            &env(ctx),
            &input.email,
            &input.password,
            input.device.unwrap_or_default().into_device(),
            optional_viewer(ctx),
        )
        .await?
        .into())
    }

    /// Signs in with a LOGIN code instead of a password.
    async fn login_with_otp(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the operation needs; see the input type.")] input: LoginWithOtpInput,
    ) -> Result<AuthPayload, AppError> {
        Ok(flows::login_with_otp(
            &env(ctx),
            &input.email,
            &input.code,
            input.device.unwrap_or_default().into_device(),
        )
        .await?
        .into())
    }

    /// Ends the session of this request.
    async fn logout(&self, ctx: &Context<'_>) -> Result<RevokeSessionsPayload, AppError> {
        let viewer = viewer(ctx)?;
        Ok(
            flows::revoke(&env(ctx), viewer, Revoke::One(viewer.session.id))
                .await?
                .into(),
        )
    }

    /// Ends one of the caller's sessions (another device). NOT_FOUND for any other id.
    async fn revoke_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session's id (from `me.sessions`).")] id: ID,
    ) -> Result<RevokeSessionsPayload, AppError> {
        let viewer = viewer(ctx)?;
        let id: i32 = id.parse().map_err(|_| AppError::NotFound)?;
        Ok(flows::revoke(&env(ctx), viewer, Revoke::One(id))
            .await?
            .into())
    }

    /// Ends every session of the caller except this one.
    async fn revoke_other_sessions(
        &self,
        ctx: &Context<'_>,
    ) -> Result<RevokeSessionsPayload, AppError> {
        let viewer = viewer(ctx)?;
        Ok(
            flows::revoke(&env(ctx), viewer, Revoke::AllBut(viewer.session.id))
                .await?
                .into(),
        )
    }

    /// Mails a reset token when the address has an account. Same answer either way.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The account's address; the answer is the same whether it exists or not."
        )]
        email: String,
    ) -> Result<AcceptedPayload, AppError> {
        flows::request_password_reset(&env(ctx), &email).await?;
        Ok(AcceptedPayload { accepted: true })
    }

    /// Sets a new password with a mailed token. Ends every session; does not sign in.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the operation needs; see the input type.")]
        input: ResetPasswordInput,
    ) -> Result<AcceptedPayload, AppError> {
        flows::reset_password(&env(ctx), &input.token, &input.new_password).await?;
        Ok(AcceptedPayload { accepted: true })
    }

    /// Changes the caller's password; ends every other session.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the operation needs; see the input type.")]
        input: ChangePasswordInput,
    ) -> Result<RevokeSessionsPayload, AppError> {
        let viewer = viewer(ctx)?;
        Ok(flows::change_password(
            &env(ctx),
            viewer,
            &input.current_password,
            &input.new_password,
        )
        .await?
        .into())
    }

    /// Moves the account to a new address, proven by its EMAIL_CHANGE code and the password.
    async fn change_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the operation needs; see the input type.")] input: ChangeEmailInput,
    ) -> Result<ChangeEmailPayload, AppError> {
        let viewer = viewer(ctx)?;
        let user = flows::change_email(
            &env(ctx),
            viewer,
            &input.new_email,
            &input.code,
            &input.password,
        )
        .await?;
        Ok(ChangeEmailPayload { user: User(user) })
    }

    /// Deletes the caller's account and everything of theirs. Cannot be undone.
    async fn delete_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the operation needs; see the input type.")]
        input: DeleteAccountInput,
    ) -> Result<AcceptedPayload, AppError> {
        flows::delete_account(&env(ctx), viewer(ctx)?, &input.password).await?;
        Ok(AcceptedPayload { accepted: true })
    }
}

/// A new signed-in session.
#[derive(async_graphql::SimpleObject)]
pub struct AuthPayload {
    /// The bearer token for `Authorization: Bearer <token>`. Shown once; store it safely.
    pub token: String,
    /// The signed-in account.
    pub user: User,
    /// The device session the token belongs to.
    pub session: UserSession,
}

impl From<flows::SignedIn> for AuthPayload {
    fn from(signed_in: flows::SignedIn) -> Self {
        Self {
            token: signed_in.token,
            user: User(signed_in.user),
            session: UserSession::opened_now(signed_in.session),
        }
    }
}
