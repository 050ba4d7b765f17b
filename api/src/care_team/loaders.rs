//! Batched lists of care-team grants.

crate::child_relation! {
    /// The grants a patient gave, newest first (revoked and expired ones too: their history).
    GrantsByPatientId: care_team_grants by patient_id (PatientId), sorted by created_at (CreatedAt),
    newest_first: true, condition: None,
}

crate::child_relation! {
    /// The grants in force for a clinician (of active patients), newest first: their patients.
    LiveGrantsByClinicianId: care_team_grants by clinician_id (ClinicianId), sorted by created_at (CreatedAt),
    newest_first: true, condition: Some(super::service::live_at),
}
