//! The words seeded people and their data are made of: names, genders, chat questions and
//! answers, report and session types.

pub(super) const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kemi",
    "Liam", "Maya", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera",
    "Wen", "Ximena", "Yusuf", "Zoe",
];
pub(super) const LAST_NAMES: &[&str] = &[
    "Abbott", "Baker", "Costa", "Diallo", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quispe", "Rossi", "Silva",
    "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhou",
];
pub(super) const GENDERS: &[&str] = &["female", "male", "non_binary", "other", "prefer_not_to_say"];
pub(super) const QUESTIONS: &[&str] = &[
    "I have been sleeping badly this week. What could help?",
    "My blood pressure reading was 138 over 88 this morning. Is that high?",
    "What does a BMI of 27 mean for me?",
    "How much exercise should I aim for each week?",
    "My latest cholesterol result came back a little high. What can I change?",
    "I feel more anxious than usual before work. Any tips?",
    "Is it normal to feel tired after starting a new medication?",
    "What should I eat to keep my blood sugar steady?",
];
pub(super) const ANSWERS: &[&str] = &[
    "A steady routine helps: the same bedtime, little screen time before sleep, and no caffeine after noon.",
    "That is in the elevated range. Measure again on a few days at the same time and share the readings with your doctor.",
    "A BMI of 27 is in the overweight range. Small changes to activity and diet make a difference over months.",
    "Aim for at least 150 minutes of moderate activity a week, plus two days of muscle strengthening.",
    "More fibre, fewer saturated fats and regular activity can lower cholesterol; your doctor can advise on next steps.",
    "Slow breathing, short walks and planning the day ahead can ease anxiety. If it persists, talk to a professional.",
    "Tiredness can be a side effect. Keep taking it as prescribed and ask your pharmacist or doctor if it continues.",
    "Meals with whole grains, vegetables and protein, eaten at regular times, keep blood sugar steadier.",
];
pub(super) const REPORT_TYPES: &[&str] =
    &["lab_result", "imaging", "prescription", "consultation_note"];
pub(super) const SESSION_TYPES: &[&str] = &[
    "general",
    "symptom_check",
    "report_discussion",
    "assessment_follow_up",
];
