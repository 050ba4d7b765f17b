//! Report analysis: text extraction, lab-value parsing, summaries, and the background job.

pub mod analytes;
pub mod extract;
pub mod job;
pub mod labs;
pub mod summary;
mod tokens;
