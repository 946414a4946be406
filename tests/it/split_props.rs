//! Property tests of the statement splitter: whatever the input, the chunks partition it
//! exactly and every span inside a chunk is a valid slice of it.

use proptest::prelude::*;
use sluice::source::split::{Chunk, SplitOptions, split};

const OPTIONS: [SplitOptions; 4] = [
    SplitOptions {
        mysql: false,
        goose: false,
    },
    SplitOptions {
        mysql: true,
        goose: false,
    },
    SplitOptions {
        mysql: false,
        goose: true,
    },
    SplitOptions {
        mysql: true,
        goose: true,
    },
];

fn check(text: &str) -> Result<(), TestCaseError> {
    for opts in OPTIONS {
        let chunks = split(text, opts);
        let mut at = 0;
        for c in &chunks {
            prop_assert_eq!(c.range.start, at, "chunks must be contiguous ({:?})", opts);
            prop_assert!(
                c.range.end > c.range.start,
                "empty chunk {:?} ({:?})",
                c,
                opts
            );
            at = c.range.end;
            check_inside(text, c, opts)?;
        }
        prop_assert_eq!(at, text.len(), "chunks must cover the input ({:?})", opts);
    }
    Ok(())
}

fn check_inside(text: &str, c: &Chunk, opts: SplitOptions) -> Result<(), TestCaseError> {
    let comments = c
        .leading_comments
        .iter()
        .chain(&c.trailing_comments)
        .chain(&c.inner_comments);
    let ranges = c
        .stmt
        .iter()
        .chain(&c.terminator)
        .chain(comments.flat_map(|k| [&k.range, &k.body]));
    for r in ranges {
        prop_assert!(
            c.range.start <= r.start && r.start <= r.end && r.end <= c.range.end,
            "{:?} outside chunk {:?} ({:?})",
            r,
            c.range,
            opts
        );
        prop_assert!(
            text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
            "{:?} not on char boundaries ({:?})",
            r,
            opts
        );
    }
    if let Some(e) = c.error {
        prop_assert!(
            c.range.contains(&e.offset),
            "error offset {} outside chunk {:?}",
            e.offset,
            c.range
        );
    }
    Ok(())
}

/// SQL-ish fragments that exercise every lexical rule the splitter knows.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("select 1".to_owned()),
        Just(";".to_owned()),
        Just("\n".to_owned()),
        Just(" ".to_owned()),
        Just("'".to_owned()),
        Just("''".to_owned()),
        Just("E'\\''".to_owned()),
        Just("\\".to_owned()),
        Just("\"".to_owned()),
        Just("`".to_owned()),
        Just("$$".to_owned()),
        Just("$tag$".to_owned()),
        Just("$1".to_owned()),
        Just("a$b".to_owned()),
        Just("--".to_owned()),
        Just("-- c;\n".to_owned()),
        Just("#".to_owned()),
        Just("/*".to_owned()),
        Just("*/".to_owned()),
        Just("/*/".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("DELIMITER //\n".to_owned()),
        Just("DELIMITER $$\n".to_owned()),
        Just("DELIMITER ;\n".to_owned()),
        Just("delimiter é\n".to_owned()),
        Just("//".to_owned()),
        Just("-- +goose Up\n".to_owned()),
        Just("-- +goose Down\n".to_owned()),
        Just("-- +goose StatementBegin\n".to_owned()),
        Just("-- +goose StatementEnd\n".to_owned()),
        Just("-- +goose StatementEnd".to_owned()),
        Just("CREATE PROCEDURE p() ".to_owned()),
        Just("create or replace function f() ".to_owned()),
        Just("CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW ".to_owned()),
        Just("BEGIN ".to_owned()),
        Just("BEGIN ATOMIC ".to_owned()),
        Just("BEGIN NOT ATOMIC ".to_owned()),
        Just(" END".to_owned()),
        Just(" END IF".to_owned()),
        Just("IF ".to_owned()),
        Just(" THEN ".to_owned()),
        Just("CASE ".to_owned()),
        Just("LOOP ".to_owned()),
        Just("lbl:".to_owned()),
        Just("é".to_owned()),
        Just("日本".to_owned()),
        Just("\u{1F600}".to_owned()),
        "[a-z]{1,6}",
        any::<char>().prop_map(String::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_strings_partition(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn sqlish_strings_partition(parts in prop::collection::vec(fragment(), 0..40)) {
        check(&parts.concat())?;
    }
}

#[test]
fn known_tricky_inputs() {
    for text in [
        "",
        ";",
        "'\\",
        "E'\\",
        "select 'é\\é';",
        "`\\é",
        "select 1; /*/\nselect 2;",
        "DELIMITER é\nselect 1é select 2é",
        "-- +goose StatementBegin",
        "-- +goose StatementBegin\n-- +goose StatementEnd",
        "$a$ é $a",
        "CREATE PROCEDURE p() BEGIN",
        "CREATE PROCEDURE p() BEGIN IF 1 THEN select 1; END IF; END; select 2",
        "create function f() begin atomic select 1; end",
        "BEGIN NOT ATOMIC é",
    ] {
        check(text).unwrap();
    }
}
