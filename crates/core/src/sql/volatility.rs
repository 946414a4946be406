//! Volatility of default expressions.
//!
//! PostgreSQL rewrites the table when `ADD COLUMN .. DEFAULT` has a volatile default, but not
//! for stable ones (`now()` is evaluated once per statement). Unknown functions count as
//! volatile, because that is PostgreSQL's default for `CREATE FUNCTION`.

use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments, ObjectNamePart};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::ops::Volatility;

/// Functions (and bare keywords parsed as functions) whose value is fixed within a statement.
const STABLE: &[&str] = &[
    "now",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtime",
    "localtimestamp",
    "transaction_timestamp",
    "statement_timestamp",
    "current_user",
    "session_user",
    "user",
    "current_role",
    "current_schema",
    "current_catalog",
    "current_database",
    "current_setting",
    "utc_timestamp",
    "utc_date",
    "utc_time",
    "curdate",
    "curtime",
    "sysdate",
    "to_char",
    "to_timestamp",
    "age",
];

/// Stable built-ins that take no arguments: with some, PostgreSQL resolves the name to another
/// function (a user-defined one, volatile by default) or to none at all.
const NO_ARGUMENTS: &[&str] = &[
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_database",
];

/// Built-in functions and function-like syntax that are pure.
const IMMUTABLE: &[&str] = &[
    "cast",
    "try_cast",
    "convert",
    "array",
    "row",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "lower",
    "upper",
    "length",
    "char_length",
    "octet_length",
    "substring",
    "substr",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "replace",
    "concat",
    "concat_ws",
    "md5",
    "abs",
    "round",
    "floor",
    "ceil",
    "ceiling",
    "power",
    "sqrt",
    "mod",
    "extract",
    "date_part",
    "date_trunc",
    "make_date",
    "make_interval",
    "jsonb_build_object",
    "jsonb_build_array",
    "json_build_object",
    "json_build_array",
    "json_object",
    "json_array",
    "to_jsonb",
    "to_json",
    "array_length",
    "left",
    "right",
    "lpad",
    "rpad",
    "repeat",
    "reverse",
    "encode",
    "decode",
    "int4range",
    "int8range",
    "numrange",
    "tsrange",
    "tstzrange",
    "daterange",
    "point",
    "box",
    "polygon",
    "inet",
    "cidr",
    "uuid_nil",
    "uuid_ns_url",
    "uuid_ns_dns",
    "uuid_generate_v3",
    "uuid_generate_v5",
    "char",
    "character",
    "varchar",
    "numeric",
    "decimal",
    "timestamp",
    "timestamptz",
    "time",
    "timetz",
    "interval",
    "bit",
    "varbit",
    "float",
    "double",
    "int",
    "integer",
    "bigint",
    "smallint",
    "boolean",
    "bool",
    "text",
    "jsonb",
    "json",
    "date",
    "varying",
];

/// Volatility of a function called by `name` (unqualified, any case).
pub fn of_function(name: &str) -> Volatility {
    let name = name.to_ascii_lowercase();
    if STABLE.contains(&name.as_str()) {
        Volatility::Stable
    } else if IMMUTABLE.contains(&name.as_str()) {
        Volatility::Immutable
    } else {
        // random, clock_timestamp, gen_random_uuid, uuid_generate_v1/v4, nextval, timeofday,
        // txid_current, MySQL UUID(), and every user-defined function
        Volatility::Volatile
    }
}

/// Volatility of a default expression given as SQL text.
pub fn of_expr(expr: &str) -> Volatility {
    let parsed = Parser::new(&PostgreSqlDialect {})
        .with_recursion_limit(64)
        .try_with_sql(expr)
        .and_then(|mut p| p.parse_expr());
    match parsed {
        Ok(e) => of_ast(&e),
        Err(_) => of_tokens(expr),
    }
}

/// Volatility of a parsed expression: the most volatile of its parts.
pub fn of_ast(expr: &Expr) -> Volatility {
    use Volatility::Immutable;
    match expr {
        Expr::Value(_) | Expr::TypedString(_) | Expr::Identifier(_) => Immutable,
        Expr::CompoundIdentifier(_) => Immutable,
        Expr::Nested(e)
        | Expr::UnaryOp { expr: e, .. }
        | Expr::Cast { expr: e, .. }
        | Expr::Collate { expr: e, .. }
        | Expr::IsNull(e)
        | Expr::IsNotNull(e)
        | Expr::IsTrue(e)
        | Expr::IsFalse(e)
        | Expr::IsNotTrue(e)
        | Expr::IsNotFalse(e) => of_ast(e),
        Expr::BinaryOp { left, right, .. } => of_ast(left).max(of_ast(right)),
        Expr::Array(a) => a.elem.iter().map(of_ast).max().unwrap_or(Immutable),
        Expr::Tuple(items) => items.iter().map(of_ast).max().unwrap_or(Immutable),
        Expr::Function(f) => {
            let name = match f.name.0.last() {
                Some(ObjectNamePart::Identifier(id)) => id.value.as_str(),
                Some(ObjectNamePart::Function(pf)) => pf.name.value.as_str(),
                None => "",
            };
            let args = match &f.args {
                FunctionArguments::List(list) => list
                    .args
                    .iter()
                    .map(|a| match a {
                        FunctionArg::Named { arg, .. }
                        | FunctionArg::ExprNamed { arg, .. }
                        | FunctionArg::Unnamed(arg) => match arg {
                            FunctionArgExpr::Expr(e) => of_ast(e),
                            _ => Immutable,
                        },
                    })
                    .max()
                    .unwrap_or(Immutable),
                FunctionArguments::Subquery(_) => Volatility::Volatile,
                FunctionArguments::None => Immutable,
            };
            let has_args = matches!(&f.args, FunctionArguments::List(l) if !l.args.is_empty());
            if has_args && NO_ARGUMENTS.contains(&name.to_ascii_lowercase().as_str()) {
                return Volatility::Volatile;
            }
            of_function(name).max(args)
        }
        // rarer shapes (CASE, IN, BETWEEN, ...): scan the text for function calls
        other => of_tokens(&other.to_string()),
    }
}

/// Token heuristic for text that does not parse: any `word(` is a call, and the bare
/// keywords `current_timestamp` & co. are stable.
fn of_tokens(text: &str) -> Volatility {
    let tokens: Vec<Token> = match Tokenizer::new(&PostgreSqlDialect {}, text).tokenize() {
        Ok(t) => t
            .into_iter()
            .filter(|t| !matches!(t, Token::Whitespace(_)))
            .collect(),
        Err(_) => return Volatility::Volatile,
    };
    let mut v = Volatility::Immutable;
    for (i, t) in tokens.iter().enumerate() {
        let Token::Word(w) = t else { continue };
        if w.quote_style.is_some() {
            continue;
        }
        let after_cast = i > 0 && matches!(tokens[i - 1], Token::DoubleColon);
        let is_call = matches!(tokens.get(i + 1), Some(Token::LParen));
        let lower = w.value.to_ascii_lowercase();
        if STABLE.contains(&lower.as_str()) && !after_cast {
            v = v.max(Volatility::Stable);
        } else if is_call && !after_cast {
            v = v.max(of_function(&lower));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use Volatility::*;

    #[test]
    fn constants_and_casts_are_immutable() {
        for e in [
            "''",
            "0",
            "-1.5",
            "true",
            "NULL",
            "'a'::text",
            "'{}'::jsonb",
            "CAST('x' AS varchar(20))",
            "ARRAY[]::text[]",
            "'{}'",
            "lower('X')",
            "'2020-01-01'::timestamp",
            "interval '1 day'",
        ] {
            assert_eq!(of_expr(e), Immutable, "{e}");
        }
    }

    #[test]
    fn stable_functions() {
        for e in [
            "now()",
            "NOW()",
            "current_timestamp",
            "CURRENT_TIMESTAMP",
            "CURRENT_TIMESTAMP(6)",
            "current_date",
            "localtimestamp",
            "transaction_timestamp()",
            "statement_timestamp()",
            "current_user",
            "(now() at time zone 'utc')",
            "now() + interval '1 day'",
        ] {
            assert_eq!(of_expr(e), Stable, "{e}");
        }
    }

    #[test]
    fn volatile_functions() {
        for e in [
            "random()",
            "clock_timestamp()",
            "gen_random_uuid()",
            "uuid_generate_v4()",
            "public.uuid_generate_v1()",
            "nextval('s'::regclass)",
            "timeofday()",
            "txid_current()",
            "UUID()",
            "my_func(1)",
            // not the built-in now(): none takes an argument
            "now(123)",
            "(random() * 10)::int",
            "CASE WHEN true THEN random() ELSE 0 END",
        ] {
            assert_eq!(of_expr(e), Volatile, "{e}");
        }
    }

    #[test]
    fn unparsable_text_falls_back_to_tokens() {
        assert_eq!(of_tokens("now() ++ 1"), Stable);
        assert_eq!(of_tokens("'x' ::: y"), Immutable);
    }
}
