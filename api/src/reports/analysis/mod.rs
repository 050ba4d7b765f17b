//! Report analysis: text extraction, lab-value parsing, summaries, and the background job.

pub mod analytes;
pub mod labs;
