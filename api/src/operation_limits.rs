//! Cheap refusals of abusive operations, before anything runs: at most
//! `GRAPHQL_MAX_ROOT_FIELDS` fields at the root of an operation and `GRAPHQL_MAX_ALIASES`
//! aliases in a document. Checked once per distinct document (`documents`). Depth and
//! complexity are async-graphql's own limits, set in `schema::build`; connection fields
//! declare a cost that scales with `first`/`last`.

use async_graphql::{
    ServerError,
    parser::types::{ExecutableDocument, Field, Selection, SelectionSet},
};

#[derive(Debug, Clone, Copy)]
pub struct OperationLimits {
    pub max_root_fields: usize,
    pub max_aliases: usize,
}

impl OperationLimits {
    /// The first limit `document` breaks, as the error the client gets.
    pub fn check(&self, document: &ExecutableDocument) -> Result<(), ServerError> {
        let mut aliases = 0;
        for (_, operation) in document.operations.iter() {
            let selection = &operation.node.selection_set.node;
            let roots = sum_root_fields(document, selection, &|_| 1);
            if roots > self.max_root_fields {
                return Err(ServerError::new(
                    format!(
                        "the operation selects {roots} root fields; at most {} are allowed",
                        self.max_root_fields
                    ),
                    Some(operation.pos),
                ));
            }
            aliases += count_aliases(selection);
        }
        aliases += document
            .fragments
            .values()
            .map(|f| count_aliases(&f.node.selection_set.node))
            .sum::<usize>();
        if aliases > self.max_aliases {
            return Err(ServerError::new(
                format!(
                    "the document uses {aliases} aliases; at most {} are allowed",
                    self.max_aliases
                ),
                None,
            ));
        }
        Ok(())
    }
}

/// The sum of `weight` over the root fields of `set`, looking through inline fragments and
/// fragment spreads (depth-bounded; validation rejects fragment cycles anyway).
pub fn sum_root_fields(
    document: &ExecutableDocument,
    set: &SelectionSet,
    weight: &impl Fn(&Field) -> usize,
) -> usize {
    fn walk(
        document: &ExecutableDocument,
        set: &SelectionSet,
        weight: &impl Fn(&Field) -> usize,
        depth: usize,
    ) -> usize {
        if depth > 8 {
            return usize::MAX;
        }
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => weight(&field.node),
                Selection::InlineFragment(fragment) => walk(
                    document,
                    &fragment.node.selection_set.node,
                    weight,
                    depth + 1,
                ),
                Selection::FragmentSpread(spread) => document
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .map_or(0, |f| {
                        walk(document, &f.node.selection_set.node, weight, depth + 1)
                    }),
            })
            .fold(0, usize::saturating_add)
    }
    walk(document, set, weight, 0)
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .fold(0, usize::saturating_add)
}
