//! The account flows, one file each: codes by email (`codes`), sign-up, sign-in and sign-out
//! (`sign_in`), password reset and change (`recovery`), email change, account deletion.
//! Resolvers parse and call these; the rules live here, and what the flows share (the request's
//! environment, devices, looking up an account) in `common`.
//!
//! Answers never tell whether an address has an account: code and reset requests answer the
//! same, and mail is queued and sent by the job runner (`mail::job`); a sign-in for an unknown
//! address verifies against a dummy hash so it costs the same time as a wrong password, and
//! fails with the same error.

mod codes;
mod common;
mod deletion;
mod email_change;
mod recovery;
mod sign_in;
mod sign_up;

pub use self::{
    codes::{OTP_MAX_ATTEMPTS, OTP_TTL, request_email_otp},
    common::{CodeSent, DEVICE_INFO_MAX_BYTES, Device, Env, Registration, SignedIn},
    deletion::delete_account,
    email_change::change_email,
    recovery::{RESET_TOKEN_TTL, change_password, request_password_reset, reset_password},
    sign_in::{login, login_with_otp, revoke},
    sign_up::register,
};
