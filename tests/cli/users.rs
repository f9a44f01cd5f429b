//! The `users` subcommands: the operator lists, shows, deactivates,
//! activates, makes staff and deletes users without a token, and still
//! cannot remove the last active superuser.

use super::*;

fn create_superuser(url: &str, name: &str) {
    let email = format!("{name}@example.com");
    let out = gatehouse(
        &["create-superuser", "--username", name, "--email", &email],
        &[("DATABASE_URL", url)],
        Some("a long admin passphrase\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn users_commands_administer_users_and_keep_the_last_superuser() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/g.db", dir.path().display());
    let env = [("DATABASE_URL", url.as_str())];
    create_superuser(&url, "root");
    create_superuser(&url, "second");
    let run = |args: &[&str]| gatehouse(args, &env, None);

    let list = run(&["users", "list"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let list = text(&list.stdout);
    assert!(list.contains("root") && list.contains("second"), "{list}");
    assert!(list.contains("active,staff,superuser"), "{list}");
    assert!(!list.contains("argon2"), "{list}");

    let found = text(&run(&["users", "list", "--search", "SEC"]).stdout);
    assert!(
        found.contains("second") && !found.contains("root@"),
        "{found}"
    );

    let show = run(&["users", "show", "root@example.com"]);
    assert!(show.status.success(), "{}", text(&show.stderr));
    let show = text(&show.stdout);
    assert!(
        show.contains("username:       root") && show.contains("id:             1"),
        "{show}"
    );
    assert!(!show.contains("argon2"), "{show}");

    let off = run(&["users", "deactivate", "2"]);
    assert!(off.status.success(), "{}", text(&off.stderr));
    assert!(text(&off.stdout).contains("deactivated"));
    assert!(text(&run(&["users", "show", "2"]).stdout).contains("active:         false"));
    // Now root is the last active superuser: refused, exit 1, a clear message.
    for args in [
        &["users", "deactivate", "root"][..],
        &["users", "set-staff", "root", "--off"][..],
        &["users", "delete", "root", "--yes"][..],
    ] {
        let refused = run(args);
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        assert!(
            text(&refused.stderr).contains("no active superuser"),
            "{args:?}: {}",
            text(&refused.stderr)
        );
    }
    let on = run(&["users", "activate", "second"]);
    assert!(on.status.success(), "{}", text(&on.stderr));
    let demoted = run(&["users", "set-staff", "second", "--off"]);
    assert!(
        text(&demoted.stdout).contains("is now active"),
        "{}",
        text(&demoted.stdout)
    );
    let promoted = run(&["users", "set-staff", "second", "--superuser"]);
    assert!(
        text(&promoted.stdout).contains("active,staff,superuser"),
        "{}",
        text(&promoted.stdout)
    );

    // Deleting wants --yes (a usage error, exit 2, before anything runs).
    let unconfirmed = run(&["users", "delete", "second"]);
    assert_eq!(unconfirmed.status.code(), Some(2));
    assert!(text(&unconfirmed.stderr).contains("--yes"));
    let deleted = run(&["users", "delete", "second", "--yes"]);
    assert!(deleted.status.success(), "{}", text(&deleted.stderr));
    let gone = run(&["users", "show", "second"]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        text(&gone.stderr).contains("no user is"),
        "{}",
        text(&gone.stderr)
    );
    assert_eq!(run(&["users", "show", "99"]).status.code(), Some(1));
}

/// The operator's door for a superuser who lost both phone and recovery
/// codes: `users reset-mfa` turns the factor off and ends the sessions.
#[test]
fn reset_mfa_turns_a_second_factor_off_for_anyone() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/g.db", dir.path().display());
    let env = [("DATABASE_URL", url.as_str())];
    create_superuser(&url, "root");
    let run = |args: &[&str]| gatehouse(args, &env, None);
    {
        // As a confirmed enrolment leaves it (the API's path is tested in
        // tests/api/both/mfa.rs).
        let db = rusqlite::Connection::open(dir.path().join("g.db")).unwrap();
        db.execute_batch(
            "UPDATE users SET mfa_enabled = TRUE WHERE username = 'root'; \
             INSERT INTO mfa_totp (user_id, secret, created_at, confirmed_at) \
             SELECT id, x'00', 0, 0 FROM users WHERE username = 'root';",
        )
        .unwrap();
    }
    assert!(text(&run(&["users", "show", "root"]).stdout).contains("second factor:  true"));
    let reset = run(&["users", "reset-mfa", "root"]);
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    assert!(
        text(&reset.stdout).contains("second factor turned off"),
        "{}",
        text(&reset.stdout)
    );
    assert!(text(&run(&["users", "show", "root"]).stdout).contains("second factor:  false"));
    let none = run(&["users", "reset-mfa", "root"]);
    assert!(text(&none.stdout).contains("had no second factor"));
    let missing = run(&["users", "reset-mfa", "nobody"]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn users_help_lists_the_commands_and_bad_flags_are_usage_errors() {
    let help = gatehouse(&["users", "--help"], &[], None);
    assert!(help.status.success());
    let help = text(&help.stdout);
    for sub in [
        "list",
        "show",
        "deactivate",
        "activate",
        "set-staff",
        "reset-mfa",
        "delete",
    ] {
        assert!(help.contains(sub), "{sub} missing from:\n{help}");
    }
    let bad = gatehouse(&["users", "list", "--active", "maybe"], &[], None);
    assert_eq!(bad.status.code(), Some(2));
    let both = gatehouse(
        &["users", "set-staff", "1", "--off", "--superuser"],
        &[],
        None,
    );
    assert_eq!(both.status.code(), Some(2));
}
