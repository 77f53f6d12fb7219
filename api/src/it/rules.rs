//! The rules of IT, pure and unit-tested: SLA clocks and the ticket status machine.

use chrono::{DateTime, Duration, Utc};

/// Hours to resolve, by priority: P1 4 h, P2 8 h, P3 72 h, P4 120 h.
pub fn sla_hours(priority: &str) -> i64 {
    match priority {
        "P1" => 4,
        "P2" => 8,
        "P3" => 72,
        _ => 120,
    }
}

pub fn sla_due(created_at: DateTime<Utc>, priority: &str) -> DateTime<Utc> {
    created_at + Duration::hours(sla_hours(priority))
}

/// Unresolved past the due time, or resolved after it.
pub fn sla_breached(due: DateTime<Utc>, resolved_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    match resolved_at {
        Some(resolved) => resolved > due,
        None => now > due,
    }
}

/// OPEN → IN_PROGRESS → RESOLVED → CLOSED, and RESOLVED → IN_PROGRESS (a reopening).
pub fn can_transition(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("OPEN", "IN_PROGRESS") | ("IN_PROGRESS", "RESOLVED") | ("RESOLVED", "CLOSED") | ("RESOLVED", "IN_PROGRESS")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn sla_clocks_follow_priority() {
        let created = at("2026-11-26T10:00:00Z");
        assert_eq!(sla_due(created, "P1"), at("2026-11-26T14:00:00Z"));
        assert_eq!(sla_due(created, "P2"), at("2026-11-26T18:00:00Z"));
        assert_eq!(sla_due(created, "P3"), at("2026-11-29T10:00:00Z"));
        assert_eq!(sla_due(created, "P4"), at("2026-12-01T10:00:00Z"));
    }

    #[test]
    fn breaches_count_unresolved_past_due_and_late_resolutions() {
        let due = at("2026-11-26T14:00:00Z");
        assert!(!sla_breached(due, None, at("2026-11-26T13:59:59Z")));
        assert!(sla_breached(due, None, at("2026-11-26T14:00:01Z")));
        assert!(!sla_breached(due, Some(at("2026-11-26T13:00:00Z")), at("2026-12-01T00:00:00Z")));
        assert!(sla_breached(due, Some(at("2026-11-26T15:00:00Z")), at("2026-11-26T15:00:00Z")));
    }

    #[test]
    fn the_status_machine_allows_only_its_arrows() {
        let states = ["OPEN", "IN_PROGRESS", "RESOLVED", "CLOSED"];
        let allowed =
            [("OPEN", "IN_PROGRESS"), ("IN_PROGRESS", "RESOLVED"), ("RESOLVED", "CLOSED"), ("RESOLVED", "IN_PROGRESS")];
        for from in states {
            for to in states {
                assert_eq!(can_transition(from, to), allowed.contains(&(from, to)), "{from} -> {to}");
            }
        }
    }
}
