//! Case-insensitive "contains" search over text columns, done in SQL on both engines.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition};

/// Rows where any of `columns` contains `text`, ignoring case; `%` and `_` match themselves.
pub fn contains_any<C: ColumnTrait>(columns: &[C], text: &str) -> Condition {
    let pattern = format!("%{}%", escape_like(&text.trim().to_lowercase()));
    columns.iter().fold(Condition::any(), |any, column| {
        any.add(Expr::expr(Func::lower(Expr::col(*column))).like(LikeExpr::new(&pattern).escape('\\')))
    })
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_literal() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
