//! Hostile-input rules that hold for every argument of every field (CONTRACT.md §10), checked
//! on the resolved argument values before any resolver runs:
//! - no NUL character (U+0000) in any string, however deep in an input object or list:
//!   PostgreSQL cannot store one, and no legitimate text carries it;
//! - a department code (any argument or input field named `department`) is at most
//!   [`MAX_DEPARTMENT_CODE`] characters, so an oversized code never reaches the enforcer, a
//!   query or the log.

use async_graphql::{Name, Value};

/// Longest department code an argument may carry.
pub const MAX_DEPARTMENT_CODE: usize = 32;

/// What is wrong with an argument, and where (`input.lines[0].description`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputProblem {
    pub field: String,
    pub message: String,
    /// A NUL character: the refusal is still on the record where §5 asks for a DENIED event.
    pub nul: bool,
}

/// The first problem among a field's resolved arguments, if any.
pub fn check_arguments<'a>(arguments: impl IntoIterator<Item = (&'a str, &'a Value)>) -> Option<InputProblem> {
    arguments.into_iter().find_map(|(name, value)| check_value(name.to_string(), Some(name), value))
}

fn check_value(path: String, key: Option<&str>, value: &Value) -> Option<InputProblem> {
    match value {
        Value::String(text) if text.contains('\0') => {
            Some(InputProblem { message: format!("{path} must not contain NUL characters"), field: path, nul: true })
        }
        Value::String(text) if key == Some("department") && text.chars().count() > MAX_DEPARTMENT_CODE => {
            Some(InputProblem {
                message: format!("{path} must be a department code of at most {MAX_DEPARTMENT_CODE} characters"),
                field: path,
                nul: false,
            })
        }
        Value::List(items) => {
            items.iter().enumerate().find_map(|(i, item)| check_value(format!("{path}[{i}]"), None, item))
        }
        Value::Object(members) => members
            .iter()
            .find_map(|(name, member): (&Name, &Value)| check_value(format!("{path}.{name}"), Some(name), member)),
        _ => None,
    }
}

/// Text bound for a column that must accept whatever a refused request carried: NULs replaced
/// by U+FFFD (visible, storable), at most `max` characters.
pub fn storable(text: &str, max: usize) -> String {
    text.chars().take(max).map(|c| if c == '\0' { '\u{FFFD}' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::value;

    fn check(name: &str, v: Value) -> Option<InputProblem> {
        check_arguments([(name, &v)])
    }

    #[test]
    fn a_nul_anywhere_is_found_with_its_path() {
        let input = value!({"counterparty": "Acme", "lines": [{"description": "ok"}, {"description": "b\u{0}ad"}]});
        let problem = check("input", input).unwrap();
        assert_eq!(problem.field, "input.lines[1].description");
        assert!(problem.nul);
        assert_eq!(check("email", Value::from("a\u{0}@b.c")).unwrap().field, "email");
        assert!(check("input", value!({"counterparty": "Acme", "lines": [{"description": "ok"}]})).is_none());
    }

    #[test]
    fn department_codes_are_bounded_wherever_they_appear() {
        assert!(check("department", Value::from("d".repeat(32))).is_none());
        let long = check("department", Value::from("d".repeat(33))).unwrap();
        assert_eq!((long.field.as_str(), long.nul), ("department", false));
        let nested = check("filter", value!({"department": "x".repeat(100_000)})).unwrap();
        assert_eq!(nested.field, "filter.department");
        assert!(check("counterparty", Value::from("x".repeat(100))).is_none(), "only department codes");
    }

    #[test]
    fn storable_text_has_no_nul_and_a_bound() {
        assert_eq!(storable("a\u{0}b", 10), "a\u{FFFD}b");
        assert_eq!(storable(&"é".repeat(100), 64).chars().count(), 64);
    }
}
