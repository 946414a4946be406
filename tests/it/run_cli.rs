//! Runner commands that need no database: `migrate new`, URL errors.

use assert_cmd::Command;

fn migrate(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("migrate").unwrap();
    c.current_dir(dir).env_remove("DATABASE_URL");
    c
}

#[test]
fn new_creates_native_migrations() {
    let tmp = tempfile::tempdir().unwrap();
    let out = migrate(tmp.path())
        .args(["new", "Add user email", "--phased"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let dirs: Vec<_> = std::fs::read_dir(tmp.path().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(dirs.len(), 1);
    assert!(
        dirs[0].ends_with("_add_user_email") && dirs[0].len() == 14 + 15,
        "{dirs:?}"
    );
    let mut files: Vec<_> = std::fs::read_dir(tmp.path().join("migrations").join(&dirs[0]))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "contract.down.sql",
            "contract.up.sql",
            "expand.down.sql",
            "expand.up.sql"
        ]
    );
}

#[test]
fn new_follows_the_directory_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("1_init.up.sql"), "CREATE TABLE a (id int);\n").unwrap();
    std::fs::write(dir.join("1_init.down.sql"), "DROP TABLE a;\n").unwrap();
    let out = migrate(tmp.path())
        .args(["new", "second"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let n = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            let n = e.as_ref().unwrap().file_name().into_string().unwrap();
            n.ends_with("_second.up.sql") || n.ends_with("_second.down.sql")
        })
        .count();
    assert_eq!(n, 2);
    let out = migrate(tmp.path())
        .args(["new", "third", "--phased"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn database_url_is_required_and_redacted() {
    let tmp = tempfile::tempdir().unwrap();
    let out = migrate(tmp.path()).args(["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pass --database-url or set DATABASE_URL")
    );
    let out = migrate(tmp.path())
        .args(["status", "--database-url", "oracle://scott:tiger@db/x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("oracle://scott:***@db/x") && !err.contains("tiger"),
        "{err}"
    );
}
