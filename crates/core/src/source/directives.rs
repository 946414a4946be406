//! In-file directives carried by comments: `-- sluice:...`, `squawk-ignore`, and the foreign
//! transaction markers of other tools.

use std::ops::Range;

use super::Phase;
use super::split::{Comment, CommentKind, GooseMarker, goose_marker};

/// A rule name as written in an ignore comment, with its byte range in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    pub name: String,
    pub range: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// `-- sluice:no-transaction`, sqlx `-- no-transaction`, `-- +goose NO TRANSACTION`,
    /// dbmate `-- migrate:up transaction:false`, squawk's
    /// `-- squawk-disable-assume-in-transaction`.
    NoTransaction,
    /// `-- sluice:ignore a, b -- reason` / `-- squawk-ignore a, b`: the next statement
    /// (or, at the end of a statement's line, that statement).
    Ignore {
        rules: Vec<RuleRef>,
        reason: Option<String>,
    },
    /// `-- sluice:ignore-file a` / `-- squawk-ignore-file [a]`: the whole file; no rules = all.
    IgnoreFile { rules: Vec<RuleRef> },
    /// `-- sluice:strategy <name>`: force an online strategy for the next statement.
    Strategy(String),
    /// `-- sluice:irreversible <reason>`: this up has no down on purpose.
    Irreversible(String),
    /// `-- sluice:phase expand|contract`.
    Phase(Phase),
    /// `-- sluice:backfill <expression>`: the value `migrate plan` gives existing rows when the
    /// next statement adds a NOT NULL column without a default.
    Backfill(String),
    /// A `sluice:` directive we do not know: reported rather than ignored.
    Unknown(String),
}

/// Every comment [`parse`] reads as a directive holds one of these words, as written:
/// `+goose` (goose's markers), `transaction` (`no-transaction`,
/// `squawk-disable-assume-in-transaction`), `migrate:` (dbmate), `squawk-ignore`, `sluice:`.
/// A text without any of them has no directive (discovery skips splitting it).
pub const WORDS: [&str; 5] = [
    "+goose",
    "transaction",
    "migrate:",
    "squawk-ignore",
    "sluice:",
];

/// The directive a comment carries, if any. `text` is the whole file's text.
pub fn parse(text: &str, comment: &Comment) -> Option<Directive> {
    let body = &text[comment.body.clone()];
    let lead = body.len() - body.trim_start().len();
    let body_start = comment.body.start + lead;
    let body = body.trim();
    if comment.kind == CommentKind::Line {
        if goose_marker(body) == Some(GooseMarker::NoTransaction) {
            return Some(Directive::NoTransaction);
        }
        if body == "no-transaction" || body == "squawk-disable-assume-in-transaction" {
            return Some(Directive::NoTransaction);
        }
        if let Some(rest) = body.strip_prefix("migrate:")
            && rest.split_whitespace().any(|w| w == "transaction:false")
        {
            return Some(Directive::NoTransaction);
        }
    }
    if let Some(rest) = body.strip_prefix("squawk-ignore-file") {
        let off = body_start + "squawk-ignore-file".len();
        return Some(Directive::IgnoreFile {
            rules: rule_list(rest, off).0,
        });
    }
    if let Some(rest) = body.strip_prefix("squawk-ignore") {
        let off = body_start + "squawk-ignore".len();
        let (rules, reason) = rule_list(rest, off);
        return Some(Directive::Ignore { rules, reason });
    }
    let rest = body.strip_prefix("sluice:")?;
    let (word, arg) = rest
        .split_once(char::is_whitespace)
        .map_or((rest, ""), |(w, a)| (w, a));
    let arg_off = body_start + "sluice:".len() + word.len();
    let arg_text = &text[arg_off.min(comment.body.end)..comment.body.end];
    Some(match word {
        "no-transaction" => Directive::NoTransaction,
        "ignore" => {
            let (rules, reason) = rule_list(arg_text, arg_off);
            Directive::Ignore { rules, reason }
        }
        "ignore-file" => Directive::IgnoreFile {
            rules: rule_list(arg_text, arg_off).0,
        },
        "strategy" => Directive::Strategy(arg.trim().to_owned()),
        "irreversible" => Directive::Irreversible(arg.trim().to_owned()),
        "backfill" if !arg.trim().is_empty() => Directive::Backfill(arg.trim().to_owned()),
        "phase" => match arg.trim() {
            "expand" => Directive::Phase(Phase::Expand),
            "contract" => Directive::Phase(Phase::Contract),
            _ => Directive::Unknown(format!("sluice:phase {}", arg.trim())),
        },
        other => Directive::Unknown(format!("sluice:{other}")),
    })
}

/// `a, b -- reason` -> rule refs (with absolute ranges) and the reason.
fn rule_list(s: &str, offset: usize) -> (Vec<RuleRef>, Option<String>) {
    let (list, reason) = match s.find("--") {
        Some(i) => (&s[..i], Some(s[i + 2..].trim().to_owned())),
        None => (s, None),
    };
    let mut rules = Vec::new();
    let mut pos = 0;
    for part in list.split([',', ' ', '\t']) {
        let start = pos;
        pos += part.len() + 1;
        if part.is_empty() {
            continue;
        }
        rules.push(RuleRef {
            name: part.to_owned(),
            range: offset + start..offset + start + part.len(),
        });
    }
    (rules, reason.filter(|r| !r.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::split::{SplitOptions, split};

    fn directives(text: &str) -> Vec<Directive> {
        split(text, SplitOptions::default())
            .iter()
            .flat_map(|c| c.leading_comments.iter().chain(&c.trailing_comments))
            .filter_map(|c| parse(text, c))
            .collect()
    }

    /// Discovery skips texts without any of [`WORDS`]: every comment read as a directive
    /// holds one (bodies made of directive-like words, up to three, line and block comments).
    #[test]
    fn directive_words_cover_every_directive() {
        let vocab = [
            "sluice:",
            "sluice",
            "sluice:phase",
            "squawk-ignore",
            "squawk-ignore-file",
            "squawk",
            "no-transaction",
            "squawk-disable-assume-in-transaction",
            "+goose",
            "+GOOSE",
            "goose",
            "NO",
            "TRANSACTION",
            "no",
            "migrate:up",
            "migrate:",
            "transaction:false",
            "Up",
            "StatementBegin",
            "ignore",
            "expand",
            "x",
            "--",
            ":",
        ];
        let mut bodies = vec![String::new()];
        for _ in 0..3 {
            let mut next = Vec::new();
            for b in &bodies {
                for w in vocab {
                    next.push(format!("{b}{w}"));
                    next.push(format!("{b}{w} "));
                }
            }
            bodies.extend(next);
        }
        let mut found = 0;
        for body in &bodies {
            for text in [
                format!("--{body}\nselect 1;"),
                format!("/*{body}*/ select 1;"),
            ] {
                if !directives(&text).is_empty() {
                    found += 1;
                    assert!(WORDS.iter().any(|w| text.contains(w)), "{text:?}");
                }
            }
        }
        assert!(found > 1000, "{found}");
    }

    #[test]
    fn ignore_with_reason_and_ranges() {
        let text = "-- sluice:ignore ban-drop-column, renaming-table -- old code gone\nselect 1;";
        let d = directives(text);
        let Directive::Ignore { rules, reason } = &d[0] else {
            panic!("{d:?}")
        };
        assert_eq!(reason.as_deref(), Some("old code gone"));
        assert_eq!(rules.len(), 2);
        assert_eq!(&text[rules[1].range.clone()], "renaming-table");
    }

    #[test]
    fn foreign_markers() {
        assert_eq!(
            directives("-- no-transaction\nselect 1;"),
            [Directive::NoTransaction]
        );
        assert_eq!(
            directives("-- squawk-disable-assume-in-transaction\nselect 1;"),
            [Directive::NoTransaction]
        );
        assert_eq!(
            directives("-- +goose NO TRANSACTION\nselect 1;"),
            [Directive::NoTransaction]
        );
        assert_eq!(
            directives("-- migrate:up transaction:false\nselect 1;"),
            [Directive::NoTransaction]
        );
        assert_eq!(
            directives("-- squawk-ignore-file\nselect 1;"),
            [Directive::IgnoreFile { rules: vec![] }]
        );
        assert_eq!(
            directives("-- sluice:phase contract\nselect 1;"),
            [Directive::Phase(Phase::Contract)]
        );
        assert_eq!(
            directives("-- sluice:irreversible data is gone\nselect 1;"),
            [Directive::Irreversible("data is gone".into())]
        );
    }
}
