//! RFC 8785 JSON Canonicalization Scheme for the values the audit log holds.
//!
//! Object members are sorted by their names' UTF-16 code units; no whitespace; strings are
//! escaped as ECMAScript's `JSON.stringify` does (which `serde_json` matches: `\"`, `\\`,
//! `\b \f \n \r \t`, other controls as lower-case `\u00xx`, everything else literal).
//! Numbers in audit events are integers (money travels as strings), which print the same in
//! every JSON library; a non-integral number, which the log never holds, falls back to the
//! shortest round-trip form.

use serde_json::Value;

pub fn canonicalize(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            out.push_str(&serde_json::to_string(value).expect("scalars always serialize"));
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut keys: Vec<&String> = members.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key).expect("strings always serialize"));
                out.push(':');
                write(&members[key], out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_are_sorted_and_whitespace_dropped() {
        let v = json!({"b": [1, {"z": null, "a": true}], "a": "x"});
        assert_eq!(canonicalize(&v), r#"{"a":"x","b":[1,{"a":true,"z":null}]}"#);
    }

    #[test]
    fn strings_are_escaped_like_ecmascript() {
        let v = json!("\u{8}\t\n\u{c}\r\"\\/\u{1f}\u{7f}é€😀");
        assert_eq!(canonicalize(&v), "\"\\b\\t\\n\\f\\r\\\"\\\\/\\u001f\u{7f}é€😀\"");
    }

    #[test]
    fn keys_sort_by_utf16_code_units_not_bytes() {
        // U+E000 sorts after U+1F600 in UTF-8 bytes, but before it in UTF-16 (0xD83D < 0xE000).
        let v = json!({"\u{e000}": 1, "\u{1f600}": 2, "a": 3});
        assert_eq!(canonicalize(&v), "{\"a\":3,\"\u{1f600}\":2,\"\u{e000}\":1}");
    }

    #[test]
    fn rfc_8785_sorting_example() {
        // The property-sorting example of RFC 8785 §3.2.3 (numbers replaced by strings).
        let v = json!({
            "\u{20ac}": "Euro Sign", "\r": "Carriage Return", "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
            "1": "One", "\u{1f600}": "Emoji Grinning Face", "\u{80}": "Control", "\u{f6}": "Latin Small Letter O With Diaeresis"
        });
        let keys: Vec<String> = canonicalize(&v)
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .map(|m| m.split(':').nth(1).unwrap().to_string())
            .collect();
        assert_eq!(
            keys,
            [
                "\"Carriage Return\"",
                "\"One\"",
                "\"Control\"",
                "\"Latin Small Letter O With Diaeresis\"",
                "\"Euro Sign\"",
                "\"Emoji Grinning Face\"",
                "\"Hebrew Letter Dalet With Dagesh\""
            ]
        );
    }
}
