//! One batch of generated rows, a table each, in the columns `COPY` loads, and the ids used
//! so far.

use super::csv::Table;

/// Ids already used per table, advanced as rows are generated.
#[derive(Debug, Default)]
pub struct Counters {
    pub assessments: i64,
    pub reports: i64,
    pub chat_sessions: i64,
    pub chat_messages: i64,
    pub settings: i64,
    pub device_sessions: i64,
    pub grants: i64,
}

/// One batch of rows, a table each.
pub struct Batch {
    pub users: Table,
    pub assessments: Table,
    pub reports: Table,
    pub chat_sessions: Table,
    pub chat_messages: Table,
    pub settings: Table,
    pub device_sessions: Table,
    pub grants: Table,
}

impl Default for Batch {
    fn default() -> Self {
        Self {
            users: Table::new(
                "users",
                &[
                    "id",
                    "email",
                    "password_hash",
                    "first_name",
                    "last_name",
                    "date_of_birth",
                    "gender",
                    "phone_number",
                    "is_verified",
                    "is_active",
                    "created_at",
                    "updated_at",
                    "role",
                ],
            ),
            assessments: Table::new(
                "health_assessments",
                &[
                    "id",
                    "user_id",
                    "assessment_type",
                    "risk_score",
                    "risk_level",
                    "assessment_data",
                    "recommendations",
                    "warning_signs",
                    "next_steps",
                    "is_api_result",
                    "created_at",
                ],
            ),
            reports: Table::new(
                "medical_reports",
                &[
                    "id",
                    "user_id",
                    "report_type",
                    "file_name",
                    "file_path",
                    "file_size",
                    "mime_type",
                    "upload_date",
                    "analysis_status",
                    "analysis_result",
                    "ai_insights",
                    "is_archived",
                    "title",
                    "content_sha256",
                    "analyzed_at",
                ],
            ),
            chat_sessions: Table::new(
                "chat_sessions",
                &[
                    "id",
                    "user_id",
                    "session_type",
                    "is_active",
                    "started_at",
                    "ended_at",
                    "total_messages",
                ],
            ),
            chat_messages: Table::new(
                "chat_messages",
                &[
                    "id",
                    "session_id",
                    "sender_type",
                    "message_content",
                    "message_type",
                    "metadata",
                    "created_at",
                ],
            ),
            settings: Table::new(
                "app_settings",
                &[
                    "id",
                    "user_id",
                    "setting_key",
                    "setting_value",
                    "setting_type",
                    "created_at",
                    "updated_at",
                ],
            ),
            device_sessions: Table::new(
                "user_sessions",
                &[
                    "id",
                    "user_id",
                    "session_token",
                    "device_info",
                    "expires_at",
                    "is_active",
                    "created_at",
                    "last_activity",
                    "idle_timeout_seconds",
                ],
            ),
            grants: Table::new(
                "care_team_grants",
                &["id", "patient_id", "clinician_id", "scopes", "created_at"],
            ),
        }
    }
}

impl Batch {
    /// The tables in an order that satisfies their foreign keys.
    pub fn tables_mut(&mut self) -> [&mut Table; 8] {
        [
            &mut self.users,
            &mut self.assessments,
            &mut self.reports,
            &mut self.chat_sessions,
            &mut self.chat_messages,
            &mut self.settings,
            &mut self.device_sessions,
            &mut self.grants,
        ]
    }
}
