//! One request, one guess: an operation that calls a code- or password-checking mutation
//! more than once (through aliases or fragments) is refused before anything runs, so a
//! single request cannot multiply guesses. Batched requests are not accepted at all.

use async_graphql::{
    ServerError,
    parser::types::{ExecutableDocument, OperationType, SelectionSet},
};

use crate::operation_limits::sum_root_fields;

/// Mutations that check a secret or send one.
const GUARDED: &[&str] = &[
    "requestEmailOtp",
    "register",
    "login",
    "loginWithOtp",
    "requestPasswordReset",
    "resetPassword",
    "changePassword",
    "changeEmail",
    "deleteAccount",
];

/// Refuses a document with a mutation that calls guarded fields more than once.
pub fn check(document: &ExecutableDocument) -> Result<(), ServerError> {
    for (_, operation) in document.operations.iter() {
        if operation.node.ty == OperationType::Mutation
            && guarded_calls(document, &operation.node.selection_set.node) > 1
        {
            return Err(ServerError::new(
                "an operation may call at most one sign-in, code or password mutation",
                Some(operation.pos),
            ));
        }
    }
    Ok(())
}

/// Guarded root fields of an operation, fragments included.
fn guarded_calls(document: &ExecutableDocument, selection_set: &SelectionSet) -> usize {
    sum_root_fields(document, selection_set, &|field| {
        usize::from(GUARDED.contains(&field.name.node.as_str()))
    })
}
