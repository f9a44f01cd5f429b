use super::*;

const HASH: &str = "pbkdf2_sha256$1000$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM=";

fn at(s: &str) -> i64 {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp()
}

#[test]
fn django_date_times_are_read_to_the_second() {
    let utc = at("2024-01-02T03:04:05Z");
    assert_eq!(parse_datetime("2024-01-02T03:04:05.678Z"), Some(utc));
    assert_eq!(parse_datetime("2024-01-02T03:04:05Z"), Some(utc));
    // Naive (USE_TZ = False): taken as UTC.
    assert_eq!(parse_datetime("2024-01-02T03:04:05.678"), Some(utc));
    assert_eq!(parse_datetime("2024-01-02T03:04:05"), Some(utc));
    assert_eq!(parse_datetime("2024-01-02 03:04:05"), Some(utc));
    // Offsets move the instant.
    assert_eq!(parse_datetime("2024-01-02T08:34:05.678+05:30"), Some(utc));
    assert_eq!(parse_datetime("2024-01-01T22:04:05-05:00"), Some(utc));
    assert_eq!(parse_datetime("2024-01-02T03:04:05+00:00"), Some(utc));
    // Microseconds (Python's isoformat) are fine too.
    assert_eq!(parse_datetime("2024-01-02T03:04:05.678901Z"), Some(utc));
}

#[test]
fn anything_else_is_not_a_date_time() {
    for bad in [
        "",
        "2024-01-02",
        "2024-01-02T03:04",
        "2024-13-02T03:04:05Z",
        "2024-01-02T25:04:05Z",
        "2024-01-02T03:04:05+5",
        "2024-01-02T03:04:05Zjunk",
        "2024-01-02X03:04:05Z",
        "yesterday",
        "2024-01-02T03:04:05.Z",
    ] {
        assert_eq!(parse_datetime(bad), None, "{bad}");
    }
}

fn row(fields: &str) -> String {
    format!(r#"{{"model": "auth.user", "pk": 7, "fields": {{{fields}}}}}"#)
}

fn full(username: &str, email: &str, password: &str) -> String {
    row(&format!(
        concat!(
            r#""password": "{password}", "last_login": null, "is_superuser": false, "#,
            r#""username": "{username}", "first_name": "", "last_name": "", "#,
            r#""email": "{email}", "is_staff": false, "is_active": true, "#,
            r#""date_joined": "2020-05-06T07:08:09.123Z", "groups": [], "user_permissions": []"#,
        ),
        password = password,
        username = username,
        email = email,
    ))
}

#[test]
fn rows_carry_the_line_their_object_starts_on() {
    let bad = full("bad user", "b@example.com", HASH).replace(", ", ",\n");
    let text = format!(
        "[\n{},\n  {bad}\n,{}]\n",
        full("alice", "a@example.com", HASH),
        full("carol", "", HASH)
    );
    let rows = parse(&text).unwrap();
    let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 4 + bad.matches('\n').count()]);
    let alice = rows[0].user.as_ref().unwrap();
    assert_eq!(
        (alice.username.as_str(), alice.date_joined),
        ("alice", at("2020-05-06T07:08:09Z"))
    );
    let err = rows[1].user.as_ref().unwrap_err();
    assert!(
        err.contains("\"bad user\" (pk 7)") && err.contains("only letters"),
        "{err}"
    );
    assert_eq!(rows[2].user.as_ref().unwrap().email, "");
}

#[test]
fn strings_with_brackets_commas_and_escapes_do_not_confuse_the_lines() {
    let tricky = full("dave", "d@example.com", HASH)
        .replace(r#""first_name": """#, r#""first_name": "[{,\"}]\\""#);
    let text = format!("[{tricky},\n{}]", full("erin", "e@example.com", HASH));
    let rows = parse(&text).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].user.as_ref().unwrap().first_name, "[{,\"}]\\");
    assert_eq!(rows[1].line, 2);
}

#[test]
fn bad_rows_say_why() {
    let cases = [
        (
            full("", "x@example.com", HASH),
            "username must not be empty",
        ),
        (full("ok", "not-an-email", HASH), "valid email"),
        (
            full("ok", "o@example.com", "!unusable"),
            "unusable password",
        ),
        (full("ok", "o@example.com", "md5$abc$def"), "`md5` hasher"),
        (
            row(r#""username": "ok", "password": "x""#),
            "not a Django password hash",
        ),
        (
            row(&format!(r#""username": "ok", "password": "{HASH}""#)),
            "date_joined is missing",
        ),
        (
            full("ok", "o@example.com", HASH).replace("2020-05-06T07:08:09.123Z", "soon"),
            "date_joined \"soon\"",
        ),
        (
            full("ok", "o@example.com", HASH).replace(r#""is_staff": false"#, r#""is_staff": 1"#),
            "is_staff is not true or false",
        ),
        (
            full("ok", "o@example.com", HASH).replace(r#""username": "ok""#, r#""username": 5"#),
            "username is not a string",
        ),
        (
            full("ok", "o@example.com", HASH).replace("auth.user", "auth.group"),
            "model \"auth.group\"",
        ),
        (
            r#"{"model": "auth.user", "pk": 1}"#.to_owned(),
            "no \"fields\"",
        ),
        ("42".to_owned(), "not an object"),
        (
            full(
                "ok",
                "o@example.com",
                "pbkdf2_sha256$10000000$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM=",
            ),
            "iteration count is out of range",
        ),
        // In UTC this is the year 10000: neither face could print it.
        (
            full("ok", "o@example.com", HASH)
                .replace("2020-05-06T07:08:09.123Z", "9999-12-31T23:59:59-23:59"),
            "years 0001-9999",
        ),
    ];
    for (json, want) in cases {
        // A good row keeps the file a dump of users.
        let text = format!("[{}, {json}]", full("good", "g@example.com", HASH));
        let rows = parse(&text).unwrap();
        let err = rows[1].user.as_ref().map(|_| ()).unwrap_err();
        assert!(err.contains(want), "{json}: {err}");
    }
}

#[test]
fn a_huge_rejected_value_is_not_echoed_whole() {
    let huge = "x".repeat(1_000_000);
    let text = format!("[{}]", full(&huge, "h@example.com", HASH));
    let rows = parse(&text).unwrap();
    let err = rows[0].user.as_ref().map(|_| ()).unwrap_err();
    assert!(err.contains("150"), "{}", &err[..200.min(err.len())]);
    assert!(err.len() < 400, "the message is {} bytes", err.len());
    assert!(err.contains("1000000 bytes in all"), "{err}");
}

#[test]
fn the_last_second_of_year_9999_in_utc_is_still_a_date_time() {
    assert!(parse_datetime("9999-12-31T23:59:59Z").is_some());
    assert!(parse_datetime("9999-12-31T23:59:59+01:00").is_some());
    assert!(parse_datetime("9999-12-31T23:59:59-00:01").is_none());
}

#[test]
fn usernames_are_read_nfkc_normalised_as_django_stores_them() {
    let rows = parse(&format!("[{}]", full("ｆｕｌｌ", "f@example.com", HASH))).unwrap();
    assert_eq!(rows[0].user.as_ref().unwrap().username, "full");
}

#[test]
fn the_flags_names_and_last_login_are_kept() {
    let json = full("root", "root@example.com", HASH)
        .replace(r#""is_superuser": false"#, r#""is_superuser": true"#)
        .replace(r#""is_staff": false"#, r#""is_staff": true"#)
        .replace(r#""is_active": true"#, r#""is_active": false"#)
        .replace(r#""first_name": """#, r#""first_name": "Zoë""#)
        .replace(
            r#""last_login": null"#,
            r#""last_login": "2024-01-02T03:04:05+01:00""#,
        );
    let rows = parse(&format!("[{json}]")).unwrap();
    let u = rows[0].user.as_ref().unwrap();
    assert!(u.is_superuser && u.is_staff && !u.is_active);
    assert_eq!(u.first_name, "Zoë");
    assert_eq!(u.last_login, Some(at("2024-01-02T02:04:05Z")));
    assert_eq!(u.password, HASH);
}

#[test]
fn a_file_that_is_not_a_dump_of_users_is_refused_whole() {
    for (text, want) in [
        ("", "not a Django dump"),
        ("{\"model\": \"auth.user\"}", "not a Django dump"),
        ("[1, 2", "not a Django dump"),
        (
            "[{\"model\": \"auth.group\", \"fields\": {}}]",
            "no object has",
        ),
        ("[1, 2]", "no object has"),
    ] {
        let err = parse(text).map(|_| ()).unwrap_err();
        assert!(err.contains(want), "{text}: {err}");
    }
    // An empty table dumps as an empty array: nothing to do, not an error.
    assert!(parse("[]\n").unwrap().is_empty());
    // A byte-order mark is allowed.
    assert_eq!(
        parse(&format!("\u{feff}[{}]", full("a", "", HASH)))
            .unwrap()
            .len(),
        1
    );
}

/// Every element and its first line, read through a buffer of `capacity`
/// bytes (elements split across reads at every possible point).
fn split(text: &str, capacity: usize) -> Result<Vec<(usize, String)>, String> {
    let mut elements = Elements::new(std::io::BufReader::with_capacity(capacity, text.as_bytes()));
    let mut found = Vec::new();
    while let Some(Element { line, json, cut }) = elements.next_element()? {
        assert!(!cut);
        found.push((line, String::from_utf8(json).unwrap()));
    }
    Ok(found)
}

#[test]
fn elements_are_found_whatever_the_reads_and_strings_hold() {
    let text = "\u{feff}[\n  {\"a\": \"x,]}\\\"\\\\\", \"b\": [1, {\"c\": \"[\"}]},\n  \"s\\\\\"\n  ,\n  7, [], {}\n]\n";
    let want = vec![
        (
            2,
            "{\"a\": \"x,]}\\\"\\\\\", \"b\": [1, {\"c\": \"[\"}]}".to_owned(),
        ),
        (3, "\"s\\\\\"\n  ".to_owned()),
        (5, "7".to_owned()),
        (5, "[]".to_owned()),
        (5, "{}\n".to_owned()),
    ];
    for capacity in 1..=40 {
        assert_eq!(split(text, capacity).unwrap(), want, "capacity {capacity}");
    }
    assert_eq!(split("[]", 1).unwrap(), vec![]);
    assert_eq!(split(" \n[ \n] \n", 3).unwrap(), vec![]);
}

#[test]
fn a_stream_that_is_not_an_array_of_values_is_refused_with_its_line() {
    for (text, want) in [
        ("", "the file is empty"),
        ("  \n ", "the file is empty"),
        (
            "{\"model\": \"auth.user\"}",
            "does not begin with `[` (line 1)",
        ),
        ("[1, 2", "does not end"),
        ("[1,\n]", "a `,` before the `]` (line 2)"),
        ("[,1]", "a value is missing"),
        ("[1,\n\n,2]", "a value is missing before a `,` (line 3)"),
        ("[1]\nx", "text after the array's end (line 2)"),
        ("[1][2]", "text after the array's end"),
    ] {
        for capacity in [1, 2, 64] {
            let err = split(text, capacity).unwrap_err();
            assert!(
                err.contains("not a Django dump") && err.contains(want),
                "{text:?}: {err}"
            );
        }
    }
    // What the scan leaves to serde: a value's own syntax, with the line
    // the value starts on.
    for (text, want) in [
        ("[1 2]", "line 1"),
        ("[1,\n {\"a\": 1]]", "at line 2"),
        ("[\"unterminated]", "does not end"),
        ("[{\"a\" 1}]", "at line 1"),
    ] {
        let err = check(text.as_bytes()).unwrap_err();
        assert!(
            err.contains("not a Django dump") && err.contains(want),
            "{text:?}: {err}"
        );
    }
}

#[test]
fn deep_nesting_is_a_bad_row_not_a_crash() {
    // 800,000 brackets: the scan counts them, the check skips over them
    // without recursing, and the row is refused at serde's depth limit.
    let deep = format!("{}{}", "[".repeat(400_000), "]".repeat(400_000));
    let text = format!("[{},\n{deep}]", full("a", "", HASH));
    let rows = parse(&text).unwrap();
    assert!(rows[0].user.is_ok());
    let err = rows[1].user.as_ref().unwrap_err();
    assert!(err.contains("recursion limit"), "{err}");
    assert_eq!(rows[1].line, 2);
}

#[test]
fn a_partial_byte_order_mark_is_not_a_dump() {
    for text in ["\u{ef}[]", "\u{ef}\u{bb}[]"] {
        // (As bytes: EF, or EF BB, then `[]`.)
        let bytes: Vec<u8> = text.chars().map(|c| c as u8).collect();
        let mut elements = Elements::new(&bytes[..]);
        let err = elements.next_element().unwrap_err();
        assert!(err.contains("does not begin with `[`"), "{err}");
    }
}

#[test]
fn an_object_over_the_limit_is_a_bad_row_and_is_not_kept_whole() {
    // A 3 MiB username, in a string (the fast path) and as bare bytes.
    let huge = "x".repeat(3 << 20);
    let text = format!(
        "[{},\n{}\n, [{}]]",
        full("a", "", HASH),
        full(&huge, "", HASH),
        "1,".repeat(1 << 20) + "1"
    );
    let mut elements = Elements::new(text.as_bytes());
    let mut seen = Vec::new();
    while let Some(e) = elements.next_element().unwrap() {
        assert!(e.json.len() <= MAX_ELEMENT);
        seen.push((e.line, e.cut));
    }
    assert_eq!(seen, [(1, false), (2, true), (3, true)]);
    let rows = parse(&text).unwrap();
    assert!(rows[0].user.is_ok());
    for row in &rows[1..] {
        let err = row.user.as_ref().unwrap_err();
        assert!(err.contains("over 1024 KiB"), "{err}");
    }
}

#[test]
fn a_json_error_names_the_files_line() {
    // The error is on the third line of the value that starts on line 2.
    let text = "[\n{\"model\": \"auth.user\",\n \"pk\": 1,\n \"fields\" {}}]";
    let err = check(text.as_bytes()).unwrap_err();
    assert!(err.contains("at line 4 column"), "{err}");
    let err = check(b"[{\"a\" 1}]".as_slice()).unwrap_err();
    assert!(err.contains("at line 1"), "{err}");
}
