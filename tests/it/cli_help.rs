//! The command line tells the truth: every command, argument and option has a help line, and
//! usage errors, unknown things and bad dates give the exit codes of README's table with an
//! `error:` line that names the field and the expected form.

use clap::CommandFactory;
use vigil::cli::Cli;

use crate::cli::vigil;
use crate::support::databases;

/// Every subcommand, positional argument and option, as "path: arg", that lacks a help line.
fn missing_help(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        // clap's own --help and --version explain themselves.
        if matches!(
            arg.get_action(),
            clap::ArgAction::Help
                | clap::ArgAction::HelpShort
                | clap::ArgAction::HelpLong
                | clap::ArgAction::Version
        ) {
            continue;
        }
        if arg.get_help().is_none() && arg.get_long_help().is_none() {
            out.push(format!("{path}: {id}"));
        }
    }
    for sub in cmd.get_subcommands() {
        let sub_path = format!("{path} {}", sub.get_name());
        if sub.get_name() != "help" && sub.get_about().is_none() {
            out.push(format!("{sub_path}: (command)"));
        }
        missing_help(sub, &sub_path, out);
    }
}

#[test]
fn every_command_argument_and_option_has_a_help_line() {
    let mut missing = Vec::new();
    missing_help(&Cli::command(), "vigil", &mut missing);
    assert!(missing.is_empty(), "no help line: {missing:#?}");
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn exit_codes_and_error_lines_follow_the_readme_table() {
    for db in databases() {
        // An unknown model is a not-found: exit 1, and it says the model is unknown.
        let out = vigil(&db, &["evaluate", "no-such-model"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.starts_with("error: unknown model \"no-such-model\""),
            "{err}"
        );
        assert!(err.contains("vigil model add"), "{err}");
        let out = vigil(&db, &["plan", "show", "no-such-model"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
        let out = vigil(&db, &["site", "rotate-key", "no-such-site"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
        // A model with no plan says how to upload one.
        let added = vigil(
            &db,
            &["model", "add", "m1", "1.0.0", "--feature", "x:input:0:1"],
        );
        assert!(added.status.success(), "{}", stderr(&added));
        let out = vigil(&db, &["evaluate", "m1"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("vigil plan set m1 FILE"),
            "{}",
            stderr(&out)
        );
    }
    let db = crate::support::sqlite_db();
    // Usage errors are 2; a date option names the format it expects.
    let out = vigil(&db, &["evaluate", "m1", "--as-of", "19.11.2026"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("YYYY-MM-DD"),
        "{err}"
    );
    let out = vigil(&db, &["simulate", "--start", "2026-13-01"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("YYYY-MM-DD"), "{}", stderr(&out));
    let out = vigil(&db, &["site", "add"]);
    assert_eq!(out.status.code(), Some(2));
    let out = vigil(&db, &["plan", "set", "m1", "no/such/file.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: cannot read no/such/file.toml"),
        "{}",
        stderr(&out)
    );
    let bad_config = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("migrate")
        .env("VIGIL_POOL_SIZE", "many")
        .output()
        .unwrap();
    assert_eq!(bad_config.status.code(), Some(2));
    assert!(
        stderr(&bad_config).starts_with("error: configuration"),
        "{}",
        stderr(&bad_config)
    );
}
