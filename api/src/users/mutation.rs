//! Profile mutations.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::NaiveDate;

use super::{service, types::User};
use crate::{
    context::{client, db, services, viewer},
    enums::Gender,
    error::AppError,
};

/// Fields to change; a field left out stays as it is, `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: MaybeUndefined<NaiveDate>,
    pub gender: MaybeUndefined<Gender>,
    /// International E.164 form, e.g. +4915112345678.
    pub phone_number: MaybeUndefined<String>,
}

#[derive(SimpleObject)]
pub struct UpdateProfilePayload {
    pub user: User,
}

fn patch<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

#[derive(Default)]
pub struct UsersMutation;

#[Object]
impl UsersMutation {
    /// Changes the caller's profile. Names 1-100 characters; birth date in the past.
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateProfileInput,
    ) -> Result<UpdateProfilePayload, AppError> {
        let viewer = viewer(ctx)?;
        let changes = service::ProfileChanges {
            first_name: input.first_name,
            last_name: input.last_name,
            date_of_birth: patch(input.date_of_birth),
            gender: patch(input.gender),
            phone_number: patch(input.phone_number),
        };
        let now = services(ctx).clock.now();
        let user =
            service::update_profile(db(ctx), &viewer.user, changes, client(ctx).ip, now).await?;
        Ok(UpdateProfilePayload { user: User(user) })
    }
}
