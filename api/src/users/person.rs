//! The person fields every view of an account starts with (id, sign-in address, names),
//! written once: `Person` is the schema's `CareTeamMember` (another person as a care team
//! shows them: a name and an address, nothing more), and `User` and `Account` flatten it, so
//! the three say the same.

use std::borrow::Cow;

use async_graphql::{Context, ID, Object};
use entity::users;

use super::loaders::UsersById;
use crate::{batching::load_one, error::AppError};

/// An account's id, sign-in address and names; borrowed where a view flattens it.
pub struct Person<'a>(Cow<'a, users::Model>);

impl<'a> Person<'a> {
    /// The person fields of a view that holds the account.
    pub fn of(user: &'a users::Model) -> Self {
        Self(Cow::Borrowed(user))
    }
}

impl Person<'static> {
    /// Another person, shown on their own (a grant's clinician, a note's author).
    pub fn owned(user: users::Model) -> Self {
        Self(Cow::Owned(user))
    }

    /// The account `id` as another person, loaded with every other account the request shows
    /// in one statement.
    pub async fn load(ctx: &Context<'_>, id: i32) -> Result<Self, AppError> {
        let user = load_one::<UsersById>(ctx, id).await?;
        user.map(Self::owned).ok_or(AppError::NotFound)
    }
}

/// Another person as a care team shows them: a name and an address, nothing more.
#[Object(name = "CareTeamMember")]
impl Person<'_> {
    /// The account's id.
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }
    /// Sign-in address, stored lower-cased.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// Given name.
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    /// Family name.
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
}
