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

/// The message of a file that is not a Django dump at all.
fn not_a_dump(why: impl std::fmt::Display) -> String {
    format!("not a Django dump (a JSON array as `manage.py dumpdata auth.user` writes): {why}")
}

/// Reads a whole dump held in memory (the tests'; the import streams the
/// file with [`check`] and [`Elements`]). Fails only when the text is not a
/// Django dump at all (not JSON, not an array, or an array without one
/// `auth.user` object); bad rows come back as rows with their reason.
pub fn parse(text: &str) -> Result<Vec<Row>, String> {
    check(text.as_bytes())?;
    let mut rows = Vec::new();
    let mut elements = Elements::new(text.as_bytes());
    while let Some(element) = elements.next_element()? {
        rows.push(row(&element));
    }
    Ok(rows)
}

/// Checks a whole dump, streaming, without keeping it: a JSON array
/// (after an optional byte-order mark) of JSON values, at least one of them
/// an `auth.user` object when there are any. Returns how many elements it
/// has. Memory: one element at a time.
pub fn check(input: impl std::io::BufRead) -> Result<usize, String> {
    #[derive(serde::Deserialize)]
    struct Model<'a> {
        #[serde(borrow)]
        model: Option<std::borrow::Cow<'a, str>>,
    }
    let mut elements = Elements::new(input);
    let (mut count, mut any_user) = (0, false);
    while let Some(Element { line, json, cut }) = elements.next_element()? {
        count += 1;
        if cut {
            // Too large to check here; a bad row when imported.
            continue;
        }
        if !any_user {
            if let Ok(m) = serde_json::from_slice::<Model>(&json) {
                any_user = m.model.as_deref() == Some(MODEL);
                continue;
            }
        }
        serde_json::from_slice::<IgnoredAny>(&json)
            .map_err(|e| not_a_dump(json_error(&e, line)))?;
    }
    if count > 0 && !any_user {
        return Err(format!(
            "not a dump of Django users: no object has \"model\": \"{MODEL}\" \
             (make it with `python manage.py dumpdata auth.user --indent 2`)"
        ));
    }
    Ok(count)
}

/// One element of the array as a row: the user, or why it is not one.
pub fn row(element: &Element) -> Row {
    let line = element.line;
    if element.cut {
        return Row {
            line,
            user: Err(format!(
                "the object is over {} KiB (a Django user is well under one)",
                MAX_ELEMENT / 1024
            )),
        };
    }
    let user = match serde_json::from_slice::<Value>(&element.json) {
        Ok(v) => user(&v),
        Err(e) => Err(json_error(&e, line)),
    };
    Row { line, user }
}

/// serde's message for a value that starts at `line` of the file, with
/// the file's line (serde counts from the value's start).
fn json_error(e: &serde_json::Error, line: usize) -> String {
    let text = e.to_string();
    let bare = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    match e.line() {
        0 => format!("{bare} (in the value that starts at line {line})"),
        // On the value's first line serde's column counts from the value.
        1 => format!("{bare} at line {line}"),
        n => format!("{bare} at line {} column {}", line + n - 1, e.column()),
    }
}

/// The largest element kept: a larger one is a bad row (a Django user
/// object is a few hundred bytes), and memory stays bounded whatever the
/// file holds.
pub const MAX_ELEMENT: usize = 1 << 20;

/// One element of the top-level array (its `Debug` shows no content: a
/// user object holds a password hash).
pub struct Element {
    /// The line it starts on.
    pub line: usize,
    /// Its bytes (the first [`MAX_ELEMENT`] when `cut`).
    pub json: Vec<u8>,
    /// Whether it was larger than [`MAX_ELEMENT`].
    pub cut: bool,
}

impl std::fmt::Debug for Element {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Element")
            .field("line", &self.line)
            .field("bytes", &self.json.len())
            .field("cut", &self.cut)
            .finish()
    }
}

/// The model label of Django's users.
const MODEL: &str = "auth.user";

/// The top-level array's elements, read as the input streams: the line
/// each starts on and its bytes (one element in memory at a time). Errors
/// are for input that is not a JSON array of values (the elements' own
/// JSON is for serde to judge: a string's escapes, bracket kinds); every
/// byte is looked at once.
pub struct Elements<R> {
    input: R,
    scanner: Scanner,
}

/// Where the scan of the array is.
struct Scanner {
    /// How many bytes of a byte-order mark began the input (3 once past
    /// the start).
    bom: usize,
    line: usize,
    state: Scan,
    /// Nesting inside the current element (0: at the array's level).
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The current element's bytes (empty between elements), first line,
    /// and whether bytes past [`MAX_ELEMENT`] were dropped.
    current: Vec<u8>,
    current_line: usize,
    cut: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// Before the `[` (blanks).
    Before,
    /// Inside the array: `comma` after a `,` (a value must follow).
    Inside { comma: bool },
    /// After the `]`: only blanks may follow.
    After,
}

impl<R: std::io::BufRead> Elements<R> {
    pub fn new(input: R) -> Self {
        Self {
            input,
            scanner: Scanner {
                bom: 0,
                line: 1,
                state: Scan::Before,
                depth: 0,
                in_string: false,
                escaped: false,
                current: Vec::new(),
                current_line: 0,
                cut: false,
            },
        }
    }

    /// The next element, or `None` after the array's end.
    pub fn next_element(&mut self) -> Result<Option<Element>, String> {
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("cannot read the dump: {e}")),
            };
            let scanner = &mut self.scanner;
            if buf.is_empty() {
                return match scanner.state {
                    Scan::After => Ok(None),
                    Scan::Before => Err(not_a_dump("no JSON array (the file is empty or blank)")),
                    Scan::Inside { .. } => Err(not_a_dump(format!(
                        "the array does not end (the file ends at line {})",
                        scanner.line
                    ))),
                };
            }
            let found = scanner.scan(buf)?;
            let used = found.map_or(buf.len(), |n| n);
            let complete = found.is_some();
            self.input.consume(used);
            if complete {
                let scanner = &mut self.scanner;
                return Ok(Some(Element {
                    line: scanner.current_line,
                    json: std::mem::take(&mut scanner.current),
                    cut: std::mem::take(&mut scanner.cut),
                }));
            }
        }
    }
}

impl Scanner {
    /// Takes the bytes of `buf` up to the end of the current element (how
    /// many, when it ends within them). Inside a string the bytes up to the
    /// next quote, backslash or line feed are taken as a run (memchr), so
    /// most of a dump's bytes are not looked at one by one.
    fn scan(&mut self, buf: &[u8]) -> Result<Option<usize>, String> {
        let mut i = 0;
        while i < buf.len() {
            if self.in_string && !self.escaped {
                let run = memchr::memchr3(b'"', b'\\', b'\n', &buf[i..]).unwrap_or(buf.len() - i);
                let room = MAX_ELEMENT.saturating_sub(self.current.len()).min(run);
                self.current.extend_from_slice(&buf[i..i + room]);
                self.cut |= room < run;
                i += run;
                if i == buf.len() {
                    break;
                }
            }
            if self.feed(buf[i])? {
                return Ok(Some(i + 1));
            }
            i += 1;
        }
        Ok(None)
    }

    /// Takes one byte; true when it completed an element.
    fn feed(&mut self, b: u8) -> Result<bool, String> {
        // A byte-order mark may begin the input, whole.
        const BOM: &[u8; 3] = b"\xef\xbb\xbf";
        if self.bom < BOM.len() {
            if b == BOM[self.bom] {
                self.bom += 1;
                return Ok(false);
            }
            if self.bom > 0 {
                return Err(not_a_dump("it does not begin with `[` (line 1)"));
            }
            self.bom = BOM.len();
        }
        if b == b'\n' {
            self.line += 1;
        }
        let line = self.line;
        let blank = matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        match self.state {
            Scan::Before if b == b'[' => self.state = Scan::Inside { comma: false },
            Scan::Before if !blank => {
                return Err(not_a_dump(format!(
                    "it does not begin with `[` (line {line})"
                )))
            }
            Scan::After if !blank => {
                return Err(not_a_dump(format!(
                    "text after the array's end (line {line})"
                )))
            }
            Scan::Before | Scan::After => {}
            // Between values.
            Scan::Inside { comma } if self.current.is_empty() => match b {
                _ if blank => {}
                b']' if comma => {
                    return Err(not_a_dump(format!("a `,` before the `]` (line {line})")))
                }
                b']' => self.state = Scan::After,
                b',' => {
                    return Err(not_a_dump(format!(
                        "a value is missing before a `,` (line {line})"
                    )))
                }
                _ => {
                    self.current_line = line;
                    self.element_byte(b);
                }
            },
            Scan::Inside { .. } => {
                if !self.in_string && self.depth == 0 && (b == b',' || b == b']') {
                    self.state = if b == b']' {
                        Scan::After
                    } else {
                        Scan::Inside { comma: true }
                    };
                    return Ok(true);
                }
                self.element_byte(b);
            }
        }
        Ok(false)
    }

    fn element_byte(&mut self, b: u8) {
        if self.current.len() < MAX_ELEMENT {
            self.current.push(b);
        } else {
            self.cut = true;
        }
        if self.in_string {
            match b {
                _ if self.escaped => self.escaped = false,
                b'\\' => self.escaped = true,
                b'"' => self.in_string = false,
                _ => {}
            }
            return;
        }
        match b {
            b'"' => self.in_string = true,
            b'[' | b'{' => self.depth += 1,
            b']' | b'}' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }
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
