//! Rust enums for the ERD's enumerated string columns.
//!
//! The database keeps each as text with a CHECK constraint (migration 1); the values here must
//! equal those CHECK lists, and a test compares them. GraphQL shows SCREAMING_CASE names; the
//! database stores the lower snake_case `db` value.

use crate::error::AppError;

/// Declares an enum with its database spelling and the (table, column) it lives in.
macro_rules! db_enum {
    (
        $(#[$meta:meta])*
        $name:ident in $table:literal . $column:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $db:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            pub const TABLE: &'static str = $table;
            pub const COLUMN: &'static str = $column;

            /// The value stored in the database.
            pub fn as_db(self) -> &'static str {
                match self { $(Self::$variant => $db,)+ }
            }

            /// Reads a stored value; anything else means the CHECK constraint and code disagree.
            pub fn from_db(value: &str) -> Result<Self, AppError> {
                match value {
                    $($db => Ok(Self::$variant),)+
                    other => Err(AppError::internal(format!(
                        "unknown {}.{} value {other:?}", $table, $column
                    ))),
                }
            }
        }
    };
}

db_enum! {
    /// What a one-time code sent by email is for.
    OtpPurpose in "otp_verifications"."purpose" {
        /// Confirms the address of a new account.
        Registration = "registration",
        /// Passwordless sign-in.
        Login = "login",
        /// Confirms a new address for an existing account.
        EmailChange = "email_change",
    }
}

db_enum! {
    /// The clinical instrument an assessment was computed with.
    AssessmentType in "health_assessments"."assessment_type" {
        /// Framingham general cardiovascular disease 10-year risk.
        Cardiovascular = "cardiovascular",
        /// FINDRISC type 2 diabetes risk.
        Diabetes = "diabetes",
        /// PHQ-9 depression severity.
        Depression = "depression",
        /// GAD-7 anxiety severity.
        Anxiety = "anxiety",
        /// 2017 ACC/AHA blood pressure category.
        BloodPressure = "blood_pressure",
        /// WHO body mass index class.
        Bmi = "bmi",
        /// AHA PREVENT 10- and 30-year cardiovascular, ASCVD and heart-failure risk.
        Prevent = "prevent",
    }
}

db_enum! {
    /// A common risk scale onto which every instrument's own bands are mapped.
    RiskLevel in "health_assessments"."risk_level" {
        /// Low risk, or the instrument's lowest band.
        Low = "low",
        /// Slightly above the lowest band.
        SlightlyElevated = "slightly_elevated",
        /// Moderate risk.
        Moderate = "moderate",
        /// High risk: worth discussing with a clinician.
        High = "high",
        /// Very high risk: see a clinician soon.
        VeryHigh = "very_high",
        /// Needs attention now (for example a hypertensive crisis).
        Critical = "critical",
    }
}

db_enum! {
    /// Where a medical report is in its background analysis.
    AnalysisStatus in "medical_reports"."analysis_status" {
        /// Uploaded, waiting for a worker.
        Pending = "pending",
        /// A worker is analysing it.
        Processing = "processing",
        /// Analysis finished; results are available.
        Completed = "completed",
        /// Analysis gave up; the result says why.
        Failed = "failed",
    }
}

db_enum! {
    /// The kind of document a medical report is.
    ReportType in "medical_reports"."report_type" {
        /// Laboratory results.
        LabResult = "lab_result",
        /// An imaging report (X-ray, ultrasound, MRI, ...).
        Imaging = "imaging",
        /// A prescription.
        Prescription = "prescription",
        /// A hospital discharge summary.
        DischargeSummary = "discharge_summary",
        /// Notes from a consultation.
        ConsultationNote = "consultation_note",
        /// Anything else.
        Other = "other",
    }
}

db_enum! {
    /// What a chat session is about.
    SessionType in "chat_sessions"."session_type" {
        /// General health questions.
        General = "general",
        /// Talking through symptoms.
        SymptomCheck = "symptom_check",
        /// Discussing a medical report.
        ReportDiscussion = "report_discussion",
        /// Following up an assessment result.
        AssessmentFollowUp = "assessment_follow_up",
    }
}

db_enum! {
    /// Who wrote a chat message.
    SenderType in "chat_messages"."sender_type" {
        /// The person using the app.
        User = "user",
        /// The health assistant.
        Assistant = "assistant",
        /// The service itself (for example a safety notice).
        System = "system",
    }
}

db_enum! {
    /// How a chat message is to be shown.
    MessageType in "chat_messages"."message_type" {
        /// Ordinary conversation text.
        Text = "text",
        /// Safety guidance that the service added (for example emergency resources).
        SafetyNotice = "safety_notice",
        /// The assistant could not answer.
        Error = "error",
    }
}

db_enum! {
    /// How a setting's value is to be read.
    SettingType in "app_settings"."setting_type" {
        /// Text.
        String = "string",
        /// A whole number.
        Integer = "integer",
        /// A decimal number.
        Float = "float",
        /// `true` or `false`.
        Boolean = "boolean",
        /// A JSON document.
        Json = "json",
    }
}

db_enum! {
    /// What an account may do beyond its own data.
    Role in "users"."role" {
        /// A person using the app for their own health data (every new account).
        User = "user",
        /// A clinician: sees the patients who granted them access, within the granted scopes.
        Clinician = "clinician",
        /// Staff: manages accounts and reads the audit log, never health data.
        Admin = "admin",
    }
}

db_enum! {
    /// What a care-team grant lets the clinician do.
    CareTeamScope in "care_team_grants"."scopes" {
        /// Read the patient's health assessments.
        Assessments = "assessments",
        /// Read the patient's medical reports (and download their files).
        Reports = "reports",
        /// Write doctor notes on the patient's medical reports.
        ReportNotes = "report_notes",
    }
}

db_enum! {
    /// Where an export archive is in its life.
    DataExportStatus in "data_exports"."status" {
        /// Being built in the background.
        Pending = "pending",
        /// Ready to download (once, before `expiresAt`).
        Ready = "ready",
        /// Downloaded; the archive is gone from the server.
        Downloaded = "downloaded",
        /// Not downloaded in time; the archive is gone from the server.
        Expired = "expired",
        /// Could not be built; ask for a new one.
        Failed = "failed",
    }
}

/// Every enumerated column as (table, column, allowed database values), for the schema test.
pub fn all_db_enums() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    macro_rules! entries {
        ($($enum:ident),+ $(,)?) => {
            vec![$(($enum::TABLE, $enum::COLUMN, $enum::ALL.iter().map(|v| v.as_db()).collect())),+]
        };
    }
    entries![
        OtpPurpose,
        AssessmentType,
        RiskLevel,
        AnalysisStatus,
        ReportType,
        SessionType,
        SenderType,
        MessageType,
        SettingType,
        Gender,
        AuditEventType,
        JobKind,
        JobStatus,
        Role,
        CareTeamScope,
        DataExportStatus,
    ]
}

db_enum! {
    /// Gender as the person describes it (optional on the profile).
    Gender in "users"."gender" {
        /// Female.
        Female = "female",
        /// Male.
        Male = "male",
        /// Non-binary.
        NonBinary = "non_binary",
        /// Another gender.
        Other = "other",
        /// Prefers not to say.
        PreferNotToSay = "prefer_not_to_say",
    }
}

db_enum! {
    /// A security event recorded in the audit log.
    AuditEventType in "audit_events"."event_type" {
        /// An account was registered.
        AccountRegistered = "account_registered",
        /// A sign-in succeeded.
        SignInSucceeded = "sign_in_succeeded",
        /// A sign-in failed (wrong password or code).
        SignInFailed = "sign_in_failed",
        /// A one-time code was sent.
        OtpSent = "otp_sent",
        /// The password was changed.
        PasswordChanged = "password_changed",
        /// A password reset email was asked for.
        PasswordResetRequested = "password_reset_requested",
        /// The password was reset with an emailed token.
        PasswordReset = "password_reset",
        /// A device session was ended.
        SessionRevoked = "session_revoked",
        /// The sign-in address was changed.
        EmailChanged = "email_changed",
        /// The profile was changed.
        ProfileUpdated = "profile_updated",
        /// The account was deleted.
        AccountDeleted = "account_deleted",
        /// A patient gave a clinician access to some of their data.
        CareTeamGranted = "care_team_granted",
        /// A patient withdrew a clinician's access.
        CareTeamRevoked = "care_team_revoked",
        /// A clinician read a patient's data (`details.fields` says what).
        PatientDataRead = "patient_data_read",
        /// A clinician changed a patient's data (doctor notes).
        PatientDataWritten = "patient_data_written",
        /// An admin listed or searched accounts.
        UsersListed = "users_listed",
        /// An admin read the audit log.
        AuditLogRead = "audit_log_read",
        /// An admin deactivated an account (its sessions end at once).
        AccountDeactivated = "account_deactivated",
        /// An admin reactivated an account.
        AccountReactivated = "account_reactivated",
        /// An admin (or the command line, with no actor) changed an account's role.
        RoleChanged = "role_changed",
        /// A user asked for an archive of their data.
        DataExportRequested = "data_export_requested",
        /// A user downloaded their archive.
        DataExportDownloaded = "data_export_downloaded",
    }
}

db_enum! {
    /// What a background job does.
    JobKind in "jobs"."kind" {
        /// Ask the AI provider for personalised advice on a health assessment.
        EnrichAssessment = "enrich_assessment",
        /// Extract, parse and summarise an uploaded medical report.
        AnalyzeReport = "analyze_report",
        /// Build the archive a user asked for with `exportMyData`.
        ExportData = "export_data",
        /// Deliver one mail (a code, a reset token, a security notice), sealed at rest.
        SendMail = "send_mail",
        /// Mail one occurrence of a user's reminder (`reminders::job`).
        SendReminder = "send_reminder",
    }
}

db_enum! {
    /// Where a background job is in its life.
    JobStatus in "jobs"."status" {
        Queued = "queued",
        Running = "running",
        Done = "done",
        /// Gave up after its last attempt; `last_error` says why.
        Failed = "failed",
    }
}
