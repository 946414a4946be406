//! `[run] init_sql`: statements every migration session runs first, as the project's own
//! runner would. lemmy's runner sets `lemmy.protocol_and_hostname` in its session, and a
//! migration (and its backfill) reading `current_setting(..)` fails in a session without it.

use crate::common::{Scratch, run, tree};

#[test]
fn every_session_runs_init_sql_first() {
    let s = Scratch::pg();
    let files = |config: &'static str| {
        tree(&[
            ("sluice.toml", config),
            (
                "migrations/1_site/expand.up.sql",
                "CREATE TABLE site (id int PRIMARY KEY, host text);\nINSERT INTO site SELECT g, NULL FROM generate_series(1, 5) g;\nCREATE TABLE origin AS SELECT current_setting('app.host') AS host;\n",
            ),
            (
                "migrations/1_site/expand.down.sql",
                "DROP TABLE origin;\nDROP TABLE site;\n",
            ),
            (
                "migrations/1_site/backfill.toml",
                "table = \"site\"\nkey = [\"id\"]\n[set]\nhost = \"current_setting('app.host')\"\n",
            ),
        ])
    };
    let without = files("");
    let r = run(s.migrate(without.path()).args(["apply"]));
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("app.host"), "{r:?}");
    assert!(!s.table_exists("origin"), "the failed expand left nothing");

    let with = files("[run]\ninit_sql = [\"SET app.host = 'https://example.com'\"]\n");
    let dry = run(s.migrate(with.path()).args(["apply", "--dry-run"]));
    assert!(
        dry.stdout.contains("SET app.host = 'https://example.com';"),
        "{dry:?}"
    );
    let r = run(s.migrate(with.path()).args(["apply"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        s.strings("SELECT (SELECT host FROM origin) || ' ' || (SELECT count(*) FROM site WHERE host = 'https://example.com')::text"),
        ["https://example.com 5"],
        "the expand and every backfill batch read the setting"
    );

    let empty = files("[run]\ninit_sql = [\" \"]\n");
    let r = run(s.migrate(empty.path()).args(["status"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("[run] init_sql[0] is empty"), "{r:?}");
}
