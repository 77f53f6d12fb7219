//! Input checks shared by every domain. Each returns `BAD_USER_INPUT` naming the input path.

use crate::error::{AppError, AppResult};

/// Trims and checks a required text: 1..=max characters after trimming.
pub fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let trimmed = value.trim();
    let len = trimmed.chars().count();
    if len == 0 {
        return Err(AppError::bad_input(field, format!("{field} must not be empty")));
    }
    if len > max {
        return Err(AppError::bad_input(field, format!("{field} must be at most {max} characters")));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::bad_input(field, format!("{field} must not contain control characters")));
    }
    Ok(trimmed.to_string())
}

/// An optional text: `None` and blank both mean absent.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

/// A practical email check (one `@`, a dotted domain, no spaces), lower-cased.
pub fn email(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim().to_lowercase();
    let valid = v.len() <= 254
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        })
        && !v.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid { Ok(v) } else { Err(AppError::bad_input(field, format!("{field} must be an email address"))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(text("name", "  Acme  ", 10).unwrap(), "Acme");
        assert!(text("name", "   ", 10).is_err());
        assert!(text("name", &"x".repeat(11), 10).is_err());
        assert!(text("name", &"é".repeat(10), 10).is_ok(), "characters, not bytes");
        assert!(text("name", "a\u{0}b", 10).is_err());
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(email("email", " Ana@Example.COM ").unwrap(), "ana@example.com");
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "a b@example.com", "a@b@c.com", "a@.com"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }
}
