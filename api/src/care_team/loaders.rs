//! Batched lists of care-team grants.

crate::child_relation! {
    /// The grants a patient gave, newest first (revoked and expired ones too: their history).
    GrantsByPatientId: care_team_grants.patient_id, sorted by created_at,
    newest_first: true, condition: None,
}

crate::child_relation! {
    /// The grants in force for a clinician (of active patients), newest first: their patients.
    LiveGrantsByClinicianId: care_team_grants.clinician_id, sorted by created_at,
    newest_first: true, condition: Some(super::service::LIVE_GRANT),
}
