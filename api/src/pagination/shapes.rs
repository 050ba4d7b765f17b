//! Statement text by shape. A list statement's text depends only on its shape (which list,
//! page or count, the direction, which cursors are given; filters aside), and sea-query takes
//! 3 to 4 µs to write it (docs/benchmarks.md). So it is written once per shape, and each
//! request binds its own values (parents, the request's time, cursors, page size) into a copy.
//!
//! Which value is which is found, not assumed: the shape is built twice from two sets of
//! distinct stand-in inputs, and every value that differs must be one of the inputs in both.
//! A shape where that fails (an input changed on its way into SQL, or written into the text)
//! is never cached: it is built per request, as before.

use std::{
    any::TypeId,
    collections::HashMap,
    sync::{Arc, LazyLock, RwLock},
};

use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, Statement, Value};

use super::cursor::SortKey;

/// What one request puts into a list statement, all bound as parameters.
#[derive(Debug, Clone)]
pub(super) struct Inputs {
    pub parents: Vec<i32>,
    pub now: DateTime<Utc>,
    pub after: Option<SortKey>,
    pub before: Option<SortKey>,
    /// Rows per parent: the page size plus one.
    pub rows: i64,
}

/// Everything but the inputs that decides a statement's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Shape {
    pub relation: TypeId,
    pub count: bool,
    pub backward: bool,
    pub after: bool,
    pub before: bool,
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Parents,
    Now,
    AfterAt,
    AfterId,
    BeforeAt,
    BeforeId,
    Rows,
}

impl Slot {
    const ALL: [Slot; 7] = [
        Slot::Parents,
        Slot::Now,
        Slot::AfterAt,
        Slot::AfterId,
        Slot::BeforeAt,
        Slot::BeforeId,
        Slot::Rows,
    ];

    /// The value this input is bound as (as sea-query binds it).
    fn value(self, inputs: &Inputs) -> Option<Value> {
        match self {
            Slot::Parents => Some(inputs.parents.clone().into()),
            Slot::Now => Some(inputs.now.into()),
            Slot::AfterAt => inputs.after.map(|(at, _)| at.into()),
            Slot::AfterId => inputs.after.map(|(_, id)| id.into()),
            Slot::BeforeAt => inputs.before.map(|(at, _)| at.into()),
            Slot::BeforeId => inputs.before.map(|(_, id)| id.into()),
            Slot::Rows => Some(inputs.rows.into()),
        }
    }
}

/// A shape's statement with the places of its inputs among the values.
struct Template {
    sql: String,
    values: Vec<Value>,
    slots: Vec<(usize, Slot)>,
}

impl Template {
    /// Writes `build`'s shape twice from distinct stand-ins and finds each input's places;
    /// `None` when a differing value is not an input.
    fn find(shape: &Shape, build: &impl Fn(&Inputs) -> Statement) -> Option<Self> {
        let (a, b) = (stand_ins(shape, 1), stand_ins(shape, 2));
        let (first, second) = (build(&a), build(&b));
        if first.sql != second.sql {
            return None;
        }
        let (values, others) = (first.values?.0, second.values?.0);
        if values.len() != others.len() {
            return None;
        }
        let mut slots = Vec::new();
        for (at, (x, y)) in values.iter().zip(&others).enumerate() {
            if x == y {
                continue;
            }
            let slot = Slot::ALL.into_iter().find(|slot| {
                slot.value(&a).as_ref() == Some(x) && slot.value(&b).as_ref() == Some(y)
            })?;
            slots.push((at, slot));
        }
        Some(Self {
            sql: first.sql,
            values,
            slots,
        })
    }

    fn bind(&self, inputs: &Inputs) -> Statement {
        let mut values = self.values.clone();
        for &(at, slot) in &self.slots {
            if let Some(value) = slot.value(inputs) {
                values[at] = value;
            }
        }
        Statement::from_sql_and_values(DbBackend::Postgres, self.sql.clone(), values)
    }
}

/// Inputs that no real request has and that differ between `n` = 1 and 2 in every value.
fn stand_ins(shape: &Shape, n: i64) -> Inputs {
    let mark = |k: i64| -(n * 1_000 + k);
    let at = |k: i64| DateTime::from_timestamp_micros(mark(k)).unwrap_or_default();
    Inputs {
        parents: vec![i32::try_from(mark(1)).unwrap_or(i32::MIN)],
        now: at(2),
        after: shape.after.then(|| (at(3), mark(4))),
        before: shape.before.then(|| (at(5), mark(6))),
        rows: mark(7),
    }
}

/// Every shape met so far: its template, or `None` when it cannot be cached.
static TEMPLATES: LazyLock<RwLock<HashMap<Shape, Option<Arc<Template>>>>> =
    LazyLock::new(Default::default);

/// The statement `build` writes for `inputs`, from the shape's template when it has one.
pub(super) fn statement(
    shape: Shape,
    inputs: &Inputs,
    build: impl Fn(&Inputs) -> Statement,
) -> Statement {
    let known = TEMPLATES
        .read()
        .ok()
        .and_then(|templates| templates.get(&shape).cloned());
    let template = match known {
        Some(template) => template,
        None => {
            let template = Template::find(&shape, &build).map(Arc::new);
            if let Ok(mut templates) = TEMPLATES.write() {
                templates.insert(shape, template.clone());
            }
            template
        }
    };
    match template {
        Some(template) => template.bind(inputs),
        None => build(inputs),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    struct Plain;
    struct Shifted;

    fn shape_of<T: 'static>() -> Shape {
        Shape {
            relation: TypeId::of::<T>(),
            count: false,
            backward: false,
            after: false,
            before: false,
        }
    }

    fn inputs(n: i64) -> Inputs {
        Inputs {
            parents: vec![7, i32::try_from(n).unwrap()],
            now: DateTime::from_timestamp_micros(1_764_000_000_000_000 + n).unwrap(),
            after: None,
            before: None,
            rows: 21 + n,
        }
    }

    #[test]
    fn inputs_bound_as_they_are_come_from_the_template() {
        let build = |i: &Inputs| {
            let values: [Value; 4] = [
                i.parents.clone().into(),
                i.now.into(),
                true.into(),
                i.rows.into(),
            ];
            Statement::from_sql_and_values(DbBackend::Postgres, "SELECT $1, $2, $3, $4", values)
        };
        for n in 0..3 {
            assert_eq!(
                statement(shape_of::<Plain>(), &inputs(n), build),
                build(&inputs(n))
            );
        }
        let templates = TEMPLATES.read().unwrap();
        let template = templates
            .get(&shape_of::<Plain>())
            .unwrap()
            .as_ref()
            .unwrap();
        assert_eq!(
            template.slots.len(),
            3,
            "parents, now and rows; `true` is the text's own"
        );
    }

    #[test]
    fn a_shape_that_changes_an_input_on_its_way_is_built_every_time() {
        let build = |i: &Inputs| {
            let yesterday: Value = (i.now - chrono::Duration::days(1)).into();
            Statement::from_sql_and_values(DbBackend::Postgres, "SELECT $1", [yesterday])
        };
        for n in 0..3 {
            assert_eq!(
                statement(shape_of::<Shifted>(), &inputs(n), build),
                build(&inputs(n))
            );
        }
        let templates = TEMPLATES.read().unwrap();
        assert!(templates.get(&shape_of::<Shifted>()).unwrap().is_none());
    }
}
