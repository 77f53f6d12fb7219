//! What an audit event says about an entity: its fields as the API names them, secrets removed.

use serde_json::{Map, Value};

/// An entity that mutations change and the audit log describes.
pub trait Audited {
    /// The GraphQL type name, e.g. `Invoice`.
    const ENTITY_TYPE: &'static str;
    fn audit_id(&self) -> String;
    /// Code of the department the entity belongs to, if any.
    fn audit_department(&self) -> Option<String>;
    /// The entity's fields, camelCase as in the API, decimals as strings; sensitive values
    /// already masked with [`mask`].
    fn audit_snapshot(&self) -> Value;
}

/// Keeps the last four characters: `ES12345678Z` -> `****678Z`.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let keep = if chars.len() > 4 { &chars[chars.len() - 4..] } else { &[][..] };
    format!("****{}", keep.iter().collect::<String>())
}

/// Fields that may name a secret are dropped, and those that must be masked are, whatever the
/// snapshot that produced them did. The last line of defence: no hash or token reaches the log.
pub fn sanitize(value: Value) -> Value {
    match value {
        Value::Object(members) => {
            let mut clean = Map::new();
            for (key, v) in members {
                let lower = key.to_ascii_lowercase();
                if lower.contains("password") || lower.contains("token") || lower.contains("secret") {
                    continue;
                }
                let v = match (lower.as_str(), &v) {
                    ("nationalid" | "bankaccount", Value::String(s)) if !s.starts_with("****") => {
                        Value::String(mask(s))
                    }
                    _ => sanitize(v),
                };
                clean.insert(key, v);
            }
            Value::Object(clean)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sanitize).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masking_keeps_only_the_last_four_characters() {
        assert_eq!(mask("ES9121000418450200051332"), "****1332");
        assert_eq!(mask("1234"), "****");
        assert_eq!(mask(""), "****");
    }

    #[test]
    fn secrets_are_dropped_and_sensitive_fields_masked() {
        let dirty = json!({
            "email": "a@b.c", "passwordHash": "$argon2id$...", "refreshToken": "abc",
            "employee": {"nationalId": "X1234567Z", "bankAccount": "ES00123", "name": "Ana"}
        });
        assert_eq!(
            sanitize(dirty),
            json!({"email": "a@b.c", "employee": {"nationalId": "****567Z", "bankAccount": "****0123", "name": "Ana"}})
        );
    }
}
