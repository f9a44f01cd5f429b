//! Reading `python manage.py dumpdata auth.user` output: a JSON array of
//! `{"model": "auth.user", "pk": N, "fields": {...}}`, each row with the line
//! it starts on, checked as sign-up checks its input.

use serde::de::IgnoredAny;
use serde_json::{Map, Value};
use time::macros::format_description;
use time::{Date, PrimitiveDateTime, Time, UtcOffset};

use super::hash;
use crate::error::Field;
use crate::service::validate;

/// One row of the dump, at the line its object starts on.
pub struct Row {
    pub line: usize,
    /// The user to create, or why the row cannot be imported.
    pub user: Result<DjangoUser, String>,
}

/// A Django user, checked and ready to insert.
pub struct DjangoUser {
    pub username: String,
    /// May be empty, as in Django.
    pub email: String,
    /// The Django hash, kept as it is.
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    /// Unix seconds.
    pub date_joined: i64,
    pub last_login: Option<i64>,
}

impl std::fmt::Debug for DjangoUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DjangoUser")
            .field("username", &self.username)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Reads a whole dump. Fails only when the text is not a Django dump at all
/// (not JSON, not an array, or an array without one `auth.user` object);
/// bad rows come back as rows with their reason.
pub fn parse(text: &str) -> Result<Vec<Row>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str::<Vec<IgnoredAny>>(text).map_err(|e| {
        format!("not a Django dump (a JSON array as `manage.py dumpdata auth.user` writes): {e}")
    })?;
    let mut any_user = false;
    let mut rows = Vec::new();
    for (line, json) in elements(text) {
        let user = match serde_json::from_str::<Value>(json) {
            Ok(v) => {
                any_user |= v.get("model").and_then(Value::as_str) == Some(MODEL);
                user(&v)
            }
            Err(e) => Err(e.to_string()),
        };
        rows.push(Row { line, user });
    }
    if !rows.is_empty() && !any_user {
        return Err(format!(
            "not a dump of Django users: no object has \"model\": \"{MODEL}\" \
             (make it with `python manage.py dumpdata auth.user --indent 2`)"
        ));
    }
    Ok(rows)
}

/// The model label of Django's users.
const MODEL: &str = "auth.user";

/// The top-level array's elements: the line each starts on and its text.
/// `text` must already be known to be a valid JSON array (so no raw newline
/// sits inside a string).
fn elements(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let (mut line, mut depth, mut in_string, mut escaped) = (1, 0usize, false, false);
    let mut start: Option<(usize, usize)> = None;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            line += 1;
        }
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        let blank = matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        if depth == 1 && start.is_none() && !blank && b != b',' && b != b']' {
            start = Some((line, i));
        }
        let ends_element = depth == 1 && matches!(b, b',' | b']');
        if ends_element {
            if let Some((l, s)) = start.take() {
                found.push((l, &text[s..i]));
            }
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    found
}

fn user(v: &Value) -> Result<DjangoUser, String> {
    let Some(object) = v.as_object() else {
        return Err("not an object".into());
    };
    match object.get("model").and_then(Value::as_str) {
        Some(MODEL) => {}
        Some(other) => return Err(format!("model {}, not {MODEL}", shown(other))),
        None => return Err("no \"model\"".into()),
    }
    let mut who = String::from("user");
    if let Some(name) = v.pointer("/fields/username").and_then(Value::as_str) {
        who.push_str(&format!(" {}", shown(name)));
    }
    if let Some(pk) = object.get("pk") {
        let pk = pk.to_string();
        let cut: String = pk.chars().take(64).collect();
        who.push_str(&format!(" (pk {cut})"));
    }
    let fields = object
        .get("fields")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{who}: no \"fields\" object"))?;
    checked(fields).map_err(|e| format!("{who}: {e}"))
}

fn checked(fields: &Map<String, Value>) -> Result<DjangoUser, String> {
    let username = validate::normalize_username(text(fields, "username", None)?);
    validate::username(Field::Username, &username).map_err(|e| e.message())?;
    let email = text(fields, "email", Some(""))?.trim().to_owned();
    if !email.is_empty() {
        validate::email(Field::Email, &email)
            .map_err(|e| format!("email {}: {}", shown(&email), e.message()))?;
    }
    let password = text(fields, "password", None)?.to_owned();
    if let Some(why) = hash::unusable_reason(&password) {
        return Err(why);
    }
    let first_name = text(fields, "first_name", Some(""))?.to_owned();
    let last_name = text(fields, "last_name", Some(""))?.to_owned();
    validate::name(Field::FirstName, &first_name)
        .map_err(|e| format!("first_name: {}", e.message()))?;
    validate::name(Field::LastName, &last_name)
        .map_err(|e| format!("last_name: {}", e.message()))?;
    let date_joined = text(fields, "date_joined", None)?;
    let date_joined = parse_datetime(date_joined).ok_or_else(|| {
        format!(
            "date_joined {} is not an ISO 8601 date-time in years 0001-9999 (UTC)",
            shown(date_joined)
        )
    })?;
    let last_login = match fields.get("last_login") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_datetime(s).ok_or_else(|| {
            format!(
                "last_login {} is not an ISO 8601 date-time in years 0001-9999 (UTC)",
                shown(s)
            )
        })?),
        Some(_) => return Err("last_login is not a date-time or null".into()),
    };
    Ok(DjangoUser {
        username,
        email,
        password,
        first_name,
        last_name,
        // Django's model defaults, for a hand-edited dump missing a flag.
        is_active: flag(fields, "is_active", true)?,
        is_staff: flag(fields, "is_staff", false)?,
        is_superuser: flag(fields, "is_superuser", false)?,
        date_joined,
        last_login,
    })
}

/// A string field; `default` when it may be missing.
fn text<'a>(
    fields: &'a Map<String, Value>,
    name: &str,
    default: Option<&'static str>,
) -> Result<&'a str, String> {
    match (fields.get(name), default) {
        (Some(Value::String(s)), _) => Ok(s),
        (None | Some(Value::Null), Some(d)) => Ok(d),
        (None, None) => Err(format!("{name} is missing")),
        (Some(_), _) => Err(format!("{name} is not a string")),
    }
}

fn flag(fields: &Map<String, Value>, name: &str, default: bool) -> Result<bool, String> {
    match fields.get(name) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{name} is not true or false")),
    }
}

/// A Django date-time in Unix seconds (the fraction dropped):
/// `2024-01-02T03:04:05.678Z`, with an offset (`+05:30`) instead of `Z`,
/// with or without a fraction, or naive (USE_TZ = False), taken as UTC.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let date = Date::parse(s.get(..10)?, format_description!("[year]-[month]-[day]")).ok()?;
    let rest = s.get(10..)?.strip_prefix(['T', ' '])?;
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let clock = Time::parse(
        clock,
        format_description!("[hour]:[minute]:[second][optional [.[subsecond]]]"),
    )
    .ok()?;
    let offset = match zone {
        "" | "Z" | "z" => UtcOffset::UTC,
        _ => UtcOffset::parse(
            zone,
            format_description!("[offset_hour sign:mandatory]:[offset_minute]"),
        )
        .ok()?,
    };
    let seconds = PrimitiveDateTime::new(date, clock)
        .assume_offset(offset)
        .unix_timestamp();
    // Both faces print times in UTC with a four-digit year: a time that
    // lands outside 0001-9999 there (9999-12-31T23:59:59-23:59 does) could
    // not be printed, so it is not a date-time here either.
    let utc = time::OffsetDateTime::from_unix_timestamp(seconds).ok()?;
    (1..=9999).contains(&utc.year()).then_some(seconds)
}

/// A value from the file as an error message may show it: quoted, escaped,
/// and cut after 64 characters (a rejected 50 MB username is not echoed).
fn shown(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        None => format!("{s:?}"),
        Some((at, _)) => format!("{:?}… ({} bytes in all)", &s[..at], s.len()),
    }
}

#[cfg(test)]
mod tests;
