//! The `me` query and profile mutations: thin resolvers over `service` and `avatar`.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject};

use super::{avatar, service, types::User};
use crate::{
    context::{client, db, optional_viewer, services, viewer},
    enums::Gender,
    error::AppError,
    scalars,
};

#[derive(Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// The signed-in caller; null when the request carries no valid token.
    async fn me(&self, ctx: &Context<'_>) -> Option<User> {
        optional_viewer(ctx).map(|viewer| User(viewer.user.clone()))
    }
}

/// Fields to change; a field left out stays as it is, `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    /// New given name, 1 to 100 characters; unchanged when omitted.
    pub first_name: Option<String>,
    /// New family name, 1 to 100 characters; unchanged when omitted.
    pub last_name: Option<String>,
    /// New birth date (in the past); null removes it; unchanged when omitted.
    pub date_of_birth: MaybeUndefined<scalars::Date>,
    /// New gender; null removes it; unchanged when omitted.
    pub gender: MaybeUndefined<Gender>,
    /// International E.164 form, e.g. +4915112345678.
    pub phone_number: MaybeUndefined<String>,
}

/// The account after its profile changed.
#[derive(SimpleObject)]
pub struct UpdateProfilePayload {
    /// The account as it is now.
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
        #[graphql(desc = "The changes; fields left out stay as they are.")]
        input: UpdateProfileInput,
    ) -> Result<UpdateProfilePayload, AppError> {
        let viewer = viewer(ctx)?;
        let changes = service::ProfileChanges {
            first_name: input.first_name,
            last_name: input.last_name,
            date_of_birth: patch(input.date_of_birth.map_value(|date| date.0)),
            gender: patch(input.gender),
            phone_number: patch(input.phone_number),
        };
        let now = services(ctx).clock.now();
        let user =
            service::update_profile(db(ctx), &viewer.user, changes, client(ctx).ip, now).await?;
        Ok(UpdateProfilePayload { user: User(user) })
    }

    /// Sets the caller's profile image (GraphQL multipart request): PNG, JPEG or WebP up to
    /// 5 MiB, stored re-encoded as JPEG of at most 512 x 512 pixels without metadata.
    async fn upload_profile_image(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The image: PNG, JPEG or WebP, at most 5 MiB.")] file: scalars::Upload,
    ) -> Result<UpdateProfilePayload, AppError> {
        let viewer = viewer(ctx)?;
        let value = file.file(ctx)?;
        let user = avatar::set(db(ctx), services(ctx), viewer.user.id, value).await?;
        Ok(UpdateProfilePayload { user: User(user) })
    }

    /// Removes the caller's profile image.
    async fn remove_profile_image(
        &self,
        ctx: &Context<'_>,
    ) -> Result<UpdateProfilePayload, AppError> {
        let viewer = viewer(ctx)?;
        let user = avatar::remove(db(ctx), services(ctx), viewer.user.id).await?;
        Ok(UpdateProfilePayload { user: User(user) })
    }
}
