//! Accounts end to end: codes by real SMTP, sign-up, sign-in, sessions, reset, profile,
//! deletion, and the bad case of every rule, each checking that nothing else changed.

mod codes;
mod profile;
mod recovery;
mod sessions;
mod sign_up;
mod throttling;

use chrono::Duration;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::{GqlResponse, TestApp, ok, spawn_app};

pub const PASSWORD: &str = "violet tractor sings loudly";
const NEW_PASSWORD: &str = "quiet harbour lantern 42";

const REQUEST_OTP: &str = "mutation($email: String!, $purpose: OtpPurpose!) {
    requestEmailOtp(input: { email: $email, purpose: $purpose }) { codeExpiresInSeconds retryAfterSeconds } }";
const REGISTER: &str = "mutation($input: RegisterInput!) {
    register(input: $input) { token user { id email firstName isVerified } session { id isCurrent ipAddress deviceInfo expiresAt } } }";
const LOGIN: &str = "mutation($email: String!, $password: String!, $device: DeviceInput) {
    login(input: { email: $email, password: $password, device: $device }) { token user { id } session { id expiresAt } } }";
const LOGIN_OTP: &str = "mutation($email: String!, $code: String!) {
    loginWithOtp(input: { email: $email, code: $code }) { token user { id } } }";
const ME: &str = "{ me { id email sessions { totalCount edges { node { id isCurrent } } } } }";

fn error_field(response: &GqlResponse) -> Option<&str> {
    response.body["errors"][0]["extensions"]["field"].as_str()
}

async fn request_code(app: &TestApp, email: &str, purpose: &str) -> GqlResponse {
    app.graphql(REQUEST_OTP, json!({ "email": email, "purpose": purpose }))
        .await
}

/// Asks for a code and reads it from the mail (the `nth` mail to that address).
async fn mailed_code(app: &TestApp, email: &str, purpose: &str, nth: usize) -> String {
    ok(&request_code(app, email, purpose).await);
    app.mail
        .wait_for(email, nth)
        .await
        .code()
        .expect("a code in the mail")
}

fn registration(email: &str, code: &str) -> Value {
    json!({ "input": { "email": email, "code": code, "password": PASSWORD, "firstName": "Ada", "lastName": "Lovelace",
        "device": { "info": { "name": "Ada's phone" } } } })
}

/// Signs up through the real flow; returns the bearer token.
pub async fn sign_up(app: &TestApp, email: &str) -> String {
    let code = mailed_code(app, email, "REGISTRATION", 1).await;
    let response = app.graphql(REGISTER, registration(email, &code)).await;
    ok(&response)["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn login(app: &TestApp, email: &str, password: &str) -> GqlResponse {
    app.graphql(LOGIN, json!({ "email": email, "password": password }))
        .await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar_i64(sql).await
}

/// POST /graphql as if from `address` (the test server trusts its loopback proxy), with a
/// bearer token when given.
async fn graphql_from(
    app: &TestApp,
    address: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> GqlResponse {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .header("x-forwarded-for", address)
        .body(json!({ "query": query, "variables": variables }).to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    tests::read_gql(request.send().await.unwrap()).await
}
