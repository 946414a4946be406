//! The columns the catalog gives a view, against PostgreSQL's own (`pg_attribute`): the
//! planner replaces a view dropped and created again in the expand when the new one keeps
//! every column of the old one, so the names must be the server's. Differential, on real
//! input: lemmy's history (diesel: each `up.sql` in a transaction), applied one migration at a
//! time while the catalog replays the same migration; after each, every view the catalog
//! knows the columns of is compared. Stops at the first migration the server refuses (lemmy's
//! later files need PostgreSQL 16).

use sqlx::{Connection, Executor, PgConnection};

use sluice::catalog::Catalog;
use sluice::lint::LintSettings;
use sluice::lint::engine::replay;
use sluice::sql::Dialect;
use sluice::sql::ops::ObjName;

use crate::common::{Scratch, block_on};
use crate::corpora::{corpora, projects};

/// Each view of the database with its columns in order.
async fn server_views(c: &mut PgConnection) -> Vec<(String, String)> {
    sqlx::query_as::<_, (String, String)>(
        "SELECT c.relname::text, string_agg(a.attname::text, ',' ORDER BY a.attnum) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm') GROUP BY c.relname ORDER BY 1",
    )
    .fetch_all(c)
    .await
    .unwrap()
}

#[test]
fn lemmys_views_have_the_servers_columns() {
    let Some(root) = corpora() else {
        eprintln!("../shared/corpora not found: view columns not checked");
        return;
    };
    let all = projects(&root, "pg");
    let migrations = all.get("lemmy").expect("lemmy in the corpora");
    let s = Scratch::pg();
    let settings = LintSettings::default();
    let (applied, compared, wrong) = block_on(async {
        let mut c = PgConnection::connect(&s.url).await.unwrap();
        let mut catalog = Catalog::new(Dialect::Postgres);
        let (mut applied, mut compared, mut wrong) = (0, 0, Vec::new());
        for m in migrations {
            let text = &m.scripts[0].file.text;
            if c.execute(sqlx::raw_sql(&format!("BEGIN;\n{text}\n;COMMIT;")))
                .await
                .is_err()
            {
                break;
            }
            applied += 1;
            catalog = replay(&settings, catalog, std::slice::from_ref(m));
            for (view, server) in server_views(&mut c).await {
                let Some(ours) = catalog.view_columns(&ObjName::new(None, &view)) else {
                    continue;
                };
                compared += 1;
                if ours.join(",") != server {
                    wrong.push(format!(
                        "after {}: {view}\n  server  {server}\n  catalog {}",
                        m.name,
                        ours.join(",")
                    ));
                }
            }
        }
        (applied, compared, wrong)
    });
    eprintln!("lemmy: {applied} migrations applied, {compared} view checks");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // the history's views era (2019-2020) is covered, and most views are read
    assert!(
        applied > 150,
        "only {applied} of lemmy's migrations applied"
    );
    assert!(compared > 1000, "only {compared} views compared");
}

/// The forms the catalog names by PostgreSQL's rules (aliases, `t.*`, CTEs with column
/// lists, casts, scalar subqueries, function calls, CASE, set operations, VALUES).
#[test]
fn written_forms_have_the_servers_columns() {
    let tables = "CREATE TABLE community (id int PRIMARY KEY, name text, creator_id int);
        CREATE TABLE user_ (id int PRIMARY KEY, name text);";
    let views = [
        "CREATE VIEW cv AS
            WITH ac AS (SELECT *, (SELECT name FROM user_ u WHERE c.creator_id = u.id) AS creator_name,
                        (SELECT count(*) FROM user_) AS n FROM community c)
            SELECT ac.*, u.id AS user_id, (SELECT u.id::boolean FROM user_) AS subscribed,
                   upper(u.name), 1::bigint, CASE WHEN true THEN 1::text ELSE u.name END AS c1,
                   CASE WHEN true THEN 1 END, (SELECT name AS uname FROM user_ LIMIT 1),
                   u.id::text AS t, 1::int AS i, now(), coalesce(u.name, 'x'), exists (SELECT 1)
            FROM user_ u CROSS JOIN ac
            UNION ALL SELECT ac.*, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM ac",
        "CREATE VIEW w AS WITH w (k) AS (SELECT id FROM user_) SELECT * FROM w, (SELECT 1 AS a, 2::smallint) s",
        "CREATE VIEW v2 (a, b) AS SELECT * FROM community",
        "CREATE VIEW v3 AS VALUES (1, 2)",
        "CREATE VIEW v4 AS SELECT x.* FROM community AS x (i, n)",
        "CREATE VIEW v5 AS SELECT c.id, c.name AS community, u.name FROM community c LEFT JOIN user_ u ON u.id = c.creator_id",
        "CREATE VIEW v6 AS SELECT v5.*, 1.5::real, 'x'::varchar(3), true::boolean FROM v5",
    ];
    let s = Scratch::pg();
    s.exec(tables);
    let settings = LintSettings::default();
    let mut sql = tables.to_owned();
    for v in views {
        s.exec(v);
        sql.push_str(&format!("\n{v};"));
    }
    let m = sluice::source::load_file(std::path::Path::new("1_views.sql"), Some(sql)).unwrap();
    let catalog = replay(&settings, Catalog::new(Dialect::Postgres), &[m]);
    let server = block_on(async {
        let mut c = PgConnection::connect(&s.url).await.unwrap();
        server_views(&mut c).await
    });
    assert_eq!(server.len(), views.len());
    for (view, columns) in server {
        let ours = catalog
            .view_columns(&ObjName::new(None, &view))
            .unwrap_or_else(|| panic!("{view}: columns not known"));
        assert_eq!(ours.join(","), columns, "{view}");
    }
}
