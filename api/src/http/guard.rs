//! Checks a GraphQL document must pass before it runs, beyond what async-graphql 7 checks.
//!
//! - [`check_text`]: the query's size, and the nesting of `{`, `[` and `(` outside strings and
//!   comments, *before* parsing: the parser recurses on nesting, and a list literal nested a few
//!   thousand deep overflows its stack and kills the process.
//! - [`analyze`]: after parsing, the depth of the selected operation (introspection fields
//!   exempt, so GraphiQL's own introspection query passes), its aliases, and how many fields it
//!   expands to (fragments included), which bounds repeated-field and fragment bombs.

use std::collections::HashSet;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};

use crate::config::Limits;

/// A document refused before it ran, with the message the client gets.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

pub fn check_text(query: &str, limits: &Limits) -> Result<(), Refusal> {
    if query.len() > limits.query_bytes {
        return Err(Refusal(format!("the query is longer than {} bytes", limits.query_bytes)));
    }
    let deepest = nesting_depth(query);
    if deepest > limits.nesting {
        return Err(Refusal(format!("the query nests brackets deeper than {}", limits.nesting)));
    }
    Ok(())
}

/// The deepest nesting of `{ [ (` in a GraphQL text, skipping strings, block strings and comments.
pub fn nesting_depth(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// What the selected operation amounts to.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// The operation that will run is a mutation (or, when it cannot be told, any is).
    pub is_mutation: bool,
    pub uses_introspection: bool,
    /// Root `login` and `changePassword` fields the operation would run, aliases and fragments
    /// included: a request may hold at most one (CONTRACT.md §10), or one request could try
    /// passwords by the hundred.
    pub password_checks: usize,
}

/// Root mutation fields that check a password.
const PASSWORD_CHECKS: [&str; 2] = ["login", "changePassword"];

pub fn analyze(doc: &ExecutableDocument, operation_name: Option<&str>, limits: &Limits) -> Result<Analysis, Refusal> {
    let operations: Vec<_> = match &doc.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => match operation_name.and_then(|name| ops.get(name)) {
            Some(op) => vec![op],
            // Unknown or missing name: async-graphql refuses it; meanwhile judge every operation.
            None => ops.values().collect(),
        },
    };
    let mut walk = Walk {
        doc,
        limits,
        fields: 0,
        aliases: 0,
        introspection: false,
        password_checks: 0,
        in_mutation: false,
        stack: HashSet::new(),
    };
    for op in &operations {
        walk.in_mutation = op.node.ty == OperationType::Mutation;
        walk.selection_set(&op.node.selection_set.node, 1, false)?;
    }
    Ok(Analysis {
        is_mutation: operations.iter().any(|op| op.node.ty == OperationType::Mutation),
        uses_introspection: walk.introspection,
        password_checks: walk.password_checks,
    })
}

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    limits: &'a Limits,
    fields: usize,
    aliases: usize,
    introspection: bool,
    password_checks: usize,
    in_mutation: bool,
    /// Fragments being expanded: a cycle is left for validation to report.
    stack: HashSet<&'a str>,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet, depth: usize, in_introspection: bool) -> Result<(), Refusal> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.fields += 1;
                    if self.fields > self.limits.fields {
                        return Err(Refusal(format!("the query selects more than {} fields", self.limits.fields)));
                    }
                    if field.alias.as_ref().is_some_and(|a| a.node != field.name.node) {
                        self.aliases += 1;
                        if self.aliases > self.limits.aliases {
                            return Err(Refusal(format!("the query uses more than {} aliases", self.limits.aliases)));
                        }
                    }
                    let name = field.name.node.as_str();
                    if self.in_mutation && depth == 1 && PASSWORD_CHECKS.contains(&name) {
                        self.password_checks += 1;
                    }
                    let introspection = in_introspection || name == "__schema" || name == "__type";
                    self.introspection |= introspection;
                    if !introspection && depth > self.limits.depth {
                        return Err(Refusal(format!("the query is nested deeper than {}", self.limits.depth)));
                    }
                    self.selection_set(&field.selection_set.node, depth + 1, introspection)?;
                }
                Selection::InlineFragment(fragment) => {
                    self.selection_set(&fragment.node.selection_set.node, depth, in_introspection)?;
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let Some(fragment) = self.doc.fragments.get(name) else {
                        continue;
                    };
                    if !self.stack.insert(name) {
                        continue;
                    }
                    self.selection_set(&fragment.node.selection_set.node, depth, in_introspection)?;
                    self.stack.remove(name);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn limits() -> Limits {
        Settings::from_lookup(|_| None).unwrap().limits
    }

    fn run(query: &str) -> Result<Analysis, Refusal> {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        analyze(&doc, None, &limits())
    }

    #[test]
    fn nesting_ignores_strings_and_comments() {
        assert_eq!(nesting_depth("{ a(x: \"{{{{[[[\") }"), 2);
        assert_eq!(nesting_depth("# {{{{{\n{ a }"), 1);
        assert_eq!(nesting_depth("{ a(x: \"\"\" {{{ \\\"\"\" {{ \"\"\") }"), 2);
        assert_eq!(nesting_depth("{ a(x: \"\\\"{\") }"), 2);
        let bomb = format!("{{ a(x: {}1{}) }}", "[".repeat(3000), "]".repeat(3000));
        assert_eq!(nesting_depth(&bomb), 3002);
        assert!(check_text(&bomb, &limits()).is_err());
    }

    #[test]
    fn depth_counts_fields_through_fragments() {
        let deep = format!("{{ {}x{} }}", "a { ".repeat(12), " }".repeat(12));
        assert!(run(&deep).is_err());
        let ok = format!("{{ {}x{} }}", "a { ".repeat(11), " }".repeat(11));
        assert!(run(&ok).is_ok());
        let via_fragment =
            format!("{{ a {{ ...F }} }} fragment F on T {{ {}x{} }}", "b { ".repeat(11), " }".repeat(11));
        assert!(run(&via_fragment).is_err());
    }

    #[test]
    fn introspection_is_exempt_from_depth_but_noticed() {
        let deep = format!("{{ __schema {{ {}name{} }} }}", "types { ".repeat(20), " }".repeat(20));
        let analysis = run(&deep).unwrap();
        assert!(analysis.uses_introspection);
    }

    #[test]
    fn aliases_and_field_counts_are_bounded() {
        let aliases: String = (0..31).map(|i| format!("a{i}: me {{ id }} ")).collect();
        assert!(run(&format!("{{ {aliases} }}")).is_err());
        let repeated = format!("{{ me {{ {} }} }}", "id ".repeat(2000));
        assert!(run(&repeated).is_err());
        let bomb = "{ ...A } fragment A on Query { ...B ...B ...B ...B } fragment B on Query { ...C ...C ...C ...C } \
                    fragment C on Query { ...D ...D ...D ...D } fragment D on Query { ...E ...E ...E ...E } \
                    fragment E on Query { me { id } me { id } }";
        assert!(run(bomb).is_err(), "fragment expansion multiplies");
    }

    #[test]
    fn password_checks_are_counted_through_aliases_and_fragments() {
        let count = |q: &str| run(q).unwrap().password_checks;
        assert_eq!(count("mutation { login(email: \"a\", password: \"b\") { accessToken } }"), 1);
        assert_eq!(
            count(
                "mutation { a: changePassword(currentPassword: \"x\", newPassword: \"y\") b: changePassword(currentPassword: \"z\", newPassword: \"y\") }"
            ),
            2
        );
        let fragments =
            "mutation { ...F ...F } fragment F on Mutation { login(email: \"a\", password: \"b\") { accessToken } }";
        assert_eq!(count(fragments), 2);
        assert_eq!(count("{ me { id } }"), 0);
        assert_eq!(count("{ login { id } }"), 0, "a query field of that name is not a password check");
    }

    #[test]
    fn the_selected_operation_decides_if_it_is_a_mutation() {
        let doc =
            async_graphql::parser::parse_query("query Q { me { id } } mutation M { logout(refreshToken: \"x\") }")
                .unwrap();
        assert!(!analyze(&doc, Some("Q"), &limits()).unwrap().is_mutation);
        assert!(analyze(&doc, Some("M"), &limits()).unwrap().is_mutation);
        assert!(analyze(&doc, None, &limits()).unwrap().is_mutation, "undecidable counts as a mutation");
    }
}
