//! The admin CLI as an operator runs it: the real binary against a real database.

use std::process::{Command, Output};

use crate::support::{TestDb, databases, sqlite_db};

pub fn vigil(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env_remove("VIGIL_CONFIG")
        .output()
        .expect("run vigil")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Register a site through the CLI and return its key.
pub fn add_site(db: &TestDb, id: &str) -> String {
    let out = vigil(
        db,
        &["site", "add", id, "--name", "Test site", "--country", "DE"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    let key = text
        .split_whitespace()
        .find(|w| w.starts_with("vsk_"))
        .expect("key printed");
    key.to_string()
}

#[test]
fn print_config_matches_the_deploy_example() {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("print-config")
        .output()
        .unwrap();
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/vigil.example.toml"
    ))
    .unwrap();
    assert_eq!(stdout(&out), file);
}

#[test]
fn check_config_refuses_unknown_schemes_and_redacts_secrets() {
    let run = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("check-config")
            .env("DATABASE_URL", url)
            .output()
            .unwrap()
    };
    let bad = run("mysql://root@localhost/x");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unsupported database URL scheme"));
    let good = run("postgres://vigil:s3cret@db.internal/vigil");
    assert!(good.status.success());
    let text = stdout(&good);
    assert!(
        text.contains("db.internal") && !text.contains("s3cret"),
        "{text}"
    );
}

#[test]
fn admin_commands_are_audited_and_tampering_is_named() {
    for db in databases() {
        add_site(&db, "site-x");
        assert!(
            vigil(&db, &["site", "rotate-key", "site-x"])
                .status
                .success()
        );
        assert!(
            vigil(&db, &["user", "add", "qm.one", "--role", "quality"])
                .status
                .success()
        );
        let model = vigil(
            &db,
            &[
                "model",
                "add",
                "liver-seg",
                "2.3.0",
                "--feature",
                "hu_mean:input:-1024:3071:HU",
            ],
        );
        assert!(
            model.status.success(),
            "{}",
            String::from_utf8_lossy(&model.stderr)
        );
        assert!(stdout(&vigil(&db, &["site", "list"])).contains("site-x"));
        assert!(stdout(&vigil(&db, &["model", "list"])).contains("liver-seg@2.3.0\thu_mean"));
        let bad_role = vigil(&db, &["user", "add", "x", "--role", "root"]);
        assert_eq!(bad_role.status.code(), Some(2));
        let verify = vigil(&db, &["audit", "verify"]);
        assert!(verify.status.success(), "{}", stdout(&verify));
        assert!(
            stdout(&verify).contains("4 entries verified"),
            "{}",
            stdout(&verify)
        );
        tamper(&db, "UPDATE audit_log SET target = 'site-y' WHERE seq = 2");
        let verify = vigil(&db, &["audit", "verify"]);
        assert_eq!(verify.status.code(), Some(1), "{}", db.label);
        assert!(stdout(&verify).contains("entry 2"), "{}", stdout(&verify));
    }
}

pub fn tamper(db: &TestDb, sql: &str) {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    if db.label == "sqlite" {
        let mut c =
            diesel::SqliteConnection::establish(db.url.trim_start_matches("sqlite://")).unwrap();
        c.batch_execute(sql).unwrap();
    } else {
        let mut c = diesel::PgConnection::establish(&db.url).unwrap();
        c.batch_execute(sql).unwrap();
    }
}

#[test]
fn disabled_user_and_missing_site_give_clear_errors() {
    let db = sqlite_db();
    let out = vigil(&db, &["site", "rotate-key", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("site nope not found"));
    let out = vigil(
        &db,
        &["site", "add", "Bad Id", "--name", "x", "--country", "DE"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn logs_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let db = sqlite_db();
    // An address that cannot be bound makes serve log its failure and exit at once.
    let out = vigil(&db, &["serve", "--listen", "256.0.0.1:80"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("could not start"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "ANSI escape in piped logs: {err:?}"
    );
}

#[test]
fn an_unknown_vigil_variable_is_refused_at_start_with_the_nearest_name() {
    let db = sqlite_db();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("check-config")
        .env("DATABASE_URL", &db.url)
        .env("VIGIL_LOG_LEVL", "debug")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("VIGIL_LOG_LEVL") && err.contains("VIGIL_LOG_LEVEL"),
        "{err}"
    );
}

#[test]
fn cli_changes_record_the_operator_never_unknown() {
    for db in databases() {
        let run = |args: &[&str], user: Option<&str>| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
            cmd.args(args)
                .env("DATABASE_URL", &db.url)
                .env_remove("VIGIL_CONFIG")
                .env_remove("USER")
                .env_remove("LOGNAME");
            if let Some(u) = user {
                cmd.env("USER", u);
            }
            cmd.output().unwrap()
        };
        let site = ["site", "add", "site-q", "--name", "Q", "--country", "DE"];
        let ok = run(&[&["--actor", "qm.meyer"][..], &site[..]].concat(), None);
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let user = ["user", "add", "ra.k", "--role", "regulatory"];
        assert!(run(&user, Some("opsuser")).status.success());
        let bad = run(&[&["--actor", "two words"][..], &user[..]].concat(), None);
        assert_eq!(bad.status.code(), Some(2));
        // Without $USER and $LOGNAME the process's user id names the operator.
        let model = ["model", "add", "m", "1.0.0", "--feature", "a:input:0:1"];
        assert!(run(&model, None).status.success());
        let list = stdout(&run(&["audit", "list"], None));
        let actors: Vec<&str> = list.lines().filter_map(|l| l.split('\t').nth(2)).collect();
        assert_eq!(actors[..2], ["cli:qm.meyer", "cli:opsuser"], "{list}");
        assert!(
            actors[2].starts_with("cli:") && actors[2].len() > 4,
            "{list}"
        );
        assert!(!list.contains("unknown"), "{list}");
    }
}

#[test]
fn a_checkpoint_detects_deleted_newest_audit_entries() {
    for db in databases() {
        let run = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_vigil"))
                .args(args)
                .env("DATABASE_URL", &db.url)
                .env("VIGIL_AUDIT_CHECKPOINT_KEY", "checkpoint-secret")
                .env_remove("VIGIL_CONFIG")
                .output()
                .unwrap()
        };
        for id in ["site-c1", "site-c2", "site-c3"] {
            assert!(
                run(&["site", "add", id, "--name", "C", "--country", "DE"])
                    .status
                    .success()
            );
        }
        let cp = run(&["audit", "checkpoint"]);
        assert!(
            cp.status.success(),
            "{}",
            String::from_utf8_lossy(&cp.stderr)
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cp.json");
        std::fs::write(&file, &cp.stdout).unwrap();
        let file = file.to_str().unwrap();
        assert!(
            run(&["site", "add", "site-c4", "--name", "C", "--country", "DE"])
                .status
                .success()
        );
        let ok = run(&["audit", "verify", "--checkpoint", file]);
        assert!(ok.status.success(), "{}", stdout(&ok));
        // Deleting the two newest rows leaves a chain that verifies on its own ...
        tamper(&db, "DELETE FROM audit_log WHERE seq >= 3");
        assert!(run(&["audit", "verify"]).status.success(), "{}", db.label);
        // ... but not against the checkpoint, which counted three entries.
        let cut = run(&["audit", "verify", "--checkpoint", file]);
        assert_eq!(cut.status.code(), Some(1), "{}: {}", db.label, stdout(&cut));
        assert!(stdout(&cut).contains("deleted"), "{}", stdout(&cut));
    }
}
