//! Rows for PostgreSQL's `COPY ... FROM STDIN (FORMAT csv)`: the fastest way to load many rows,
//! one round trip per table and batch. Every non-null value is quoted, so nothing in it (commas,
//! quotes, line breaks) can break a row; an unquoted empty field is NULL.

use std::fmt::Write;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

/// One column value.
pub enum Field<'a> {
    Null,
    Int(i64),
    Bool(bool),
    Text(&'a str),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    Json(&'a Value),
    /// A `text[]` value.
    TextArray(&'a [String]),
}

/// A batch of rows for one table.
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub csv: String,
    pub rows: usize,
}

impl Table {
    pub fn new(name: &'static str, columns: &'static [&'static str]) -> Self {
        Self {
            name,
            columns,
            csv: String::new(),
            rows: 0,
        }
    }

    /// Appends a row; `fields` are in `columns` order.
    pub fn row(&mut self, fields: &[Field<'_>]) {
        debug_assert_eq!(fields.len(), self.columns.len(), "{}", self.name);
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.csv.push(',');
            }
            match field {
                Field::Null => {}
                Field::Int(n) => {
                    let _ = write!(self.csv, "{n}");
                }
                Field::Bool(b) => self.csv.push_str(if *b { "t" } else { "f" }),
                Field::Text(text) => quoted(&mut self.csv, text),
                Field::Date(date) => {
                    let _ = write!(self.csv, "{}", date.format("%Y-%m-%d"));
                }
                Field::Time(at) => {
                    let _ = write!(self.csv, "{}", at.format("%Y-%m-%d %H:%M:%S%.6f+00"));
                }
                Field::Json(value) => quoted(&mut self.csv, &value.to_string()),
                Field::TextArray(items) => quoted(&mut self.csv, &array_literal(items)),
            }
        }
        self.csv.push('\n');
        self.rows += 1;
    }

    /// The `COPY` statement that reads this batch.
    pub fn copy_statement(&self) -> String {
        format!(
            "COPY {} ({}) FROM STDIN (FORMAT csv)",
            self.name,
            self.columns.join(", ")
        )
    }

    pub fn clear(&mut self) {
        self.csv.clear();
        self.rows = 0;
    }
}

/// A CSV field in double quotes, inner quotes doubled.
fn quoted(out: &mut String, text: &str) {
    out.push('"');
    out.push_str(&text.replace('"', "\"\""));
    out.push('"');
}

/// A PostgreSQL array literal of text: `{"a","b \"c\""}`.
fn array_literal(items: &[String]) -> String {
    let elements: Vec<String> = items
        .iter()
        .map(|item| format!("\"{}\"", item.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("{{{}}}", elements.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awkward_text_stays_in_its_field() {
        let mut table = Table::new("t", &["a", "b", "c", "d"]);
        let items = vec!["x,y".to_owned(), "say \"hi\"".to_owned()];
        table.row(&[
            Field::Text("comma, \"quote\"\nnewline"),
            Field::Null,
            Field::TextArray(&items),
            Field::Int(7),
        ]);
        assert_eq!(
            table.csv,
            "\"comma, \"\"quote\"\"\nnewline\",,\"{\"\"x,y\"\",\"\"say \\\"\"hi\\\"\"\"\"}\",7\n"
        );
    }
}
