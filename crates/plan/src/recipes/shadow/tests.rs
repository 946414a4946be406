//! Tests of the shadow column recipe.

use super::default_of_old_type;

#[test]
fn a_string_default_keeps_the_old_type() {
    assert_eq!(
        default_of_old_type("'2020-01-01'", "timestamp"),
        "'2020-01-01'::timestamp"
    );
    assert_eq!(default_of_old_type("'x'", "varchar(10)"), "'x'::varchar");
    assert_eq!(
        default_of_old_type("'a'", "numeric(10, 2)[]"),
        "'a'::numeric[]"
    );
    // computed or already typed: as written
    for d in ["now()", "5", "'x'::text", "lower('A')", "CURRENT_TIMESTAMP"] {
        assert_eq!(default_of_old_type(d, "timestamp"), d);
    }
}
