//! The user's health record as HL7 FHIR R4 (4.0.1): the mapping from the ERD
//! (`people`, `assessments`, `reports`, terminology in `codes`), whose record a caller may
//! read (`record`), one resource by id (`read`), search parameters and paging (`search`), Bundles
//! (`bundle`), and vital signs imported from a Bundle (`import` reads, `imported` stores).
//! The REST API on top is `http::fhir`; docs/fhir.md is the mapping table.

pub mod assessments;
pub mod bundle;
pub mod codes;
pub mod entry;
pub mod import;
pub mod imported;
pub mod people;
pub mod read;
pub mod record;
pub mod reports;
pub mod search;
