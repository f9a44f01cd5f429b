//! One pass over a form-encoded body before poem-openapi decodes it with
//! serde_urlencoded, which would replace bytes that are not UTF-8 with
//! U+FFFD: repeated names and names or values that are not UTF-8 are
//! found first.

use std::collections::HashSet;

/// What is wrong with a form-encoded body.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum FormProblem {
    /// This name (decoded) occurs twice.
    Repeated(String),
    /// A name or value is not UTF-8 once decoded; the value's name when it
    /// is the value.
    NotUtf8(Option<String>),
}

/// One pass over a form-encoded body, each name and value decoded once:
/// the first name or value that is not UTF-8, or name that occurs twice.
/// Pairs are split as a form parser splits them: at `&`, then at the first
/// `=`; empty pairs are skipped, and so are empty names in the repeat check.
pub(super) fn form_problem(body: &[u8]) -> Option<FormProblem> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut value = Vec::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let mut name = Vec::new();
        form_decode(raw_name, &mut name);
        let Ok(name) = String::from_utf8(name) else {
            return Some(FormProblem::NotUtf8(None));
        };
        value.clear();
        form_decode(raw_value, &mut value);
        if std::str::from_utf8(&value).is_err() {
            return Some(FormProblem::NotUtf8(Some(name)));
        }
        if name.is_empty() {
            continue;
        }
        if seen.contains(&name) {
            return Some(FormProblem::Repeated(name));
        }
        seen.insert(name);
    }
    None
}

/// `application/x-www-form-urlencoded` decoding of one name or value, onto
/// `out`: `+` is a space, `%XX` a byte; a stray `%` stays as it is.
fn form_decode(raw: &[u8], out: &mut Vec<u8>) {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    out.reserve(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                raw.get(i + 1).and_then(|b| hex(*b)),
                raw.get(i + 2).and_then(|b| hex(*b)),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repeated(name: &str) -> Option<FormProblem> {
        Some(FormProblem::Repeated(name.into()))
    }

    #[test]
    fn repeated_form_names_are_found_after_decoding() {
        assert_eq!(form_problem(b"a=1&b=2"), None);
        assert_eq!(form_problem(b"a=1&a=2"), repeated("a"));
        assert_eq!(
            form_problem(b"user%6Eame=x&username=y"),
            repeated("username")
        );
        assert_eq!(form_problem(b"a+b=1&a%20b"), repeated("a b"));
        assert_eq!(form_problem(b"a=1&&b=2&"), None);
        assert_eq!(form_problem(b"%=1&%zz=2&%z"), None);
        assert_eq!(form_problem(b"%=1&%"), repeated("%"));
        assert_eq!(form_problem(b"=1&=2"), None);
        assert_eq!(form_problem(b"a=1=2&b&c="), None);
    }

    #[test]
    fn form_names_and_values_must_be_utf8_once_decoded() {
        let value_of = |name: &str| Some(FormProblem::NotUtf8(Some(name.into())));
        assert_eq!(form_problem(b"password=caf%C3%A9"), None);
        assert_eq!(form_problem("password=café".as_bytes()), None);
        assert_eq!(form_problem(b"password=caf%E9"), value_of("password"));
        assert_eq!(form_problem(b"a=1&password=caf%FF"), value_of("password"));
        assert_eq!(form_problem(b"password=caf\xe9"), value_of("password"));
        // A sequence cut in two by the pair's end, and an overlong `/`.
        assert_eq!(form_problem(b"p=%C3&x=%A9"), value_of("p"));
        assert_eq!(form_problem(b"p=%C0%AF"), value_of("p"));
        assert_eq!(form_problem(b"=%FF"), value_of(""));
        assert_eq!(
            form_problem(b"pass%FFword=x"),
            Some(FormProblem::NotUtf8(None))
        );
        // The first problem in the body's order.
        assert_eq!(form_problem(b"a=1&a=%FF"), value_of("a"));
        assert_eq!(form_problem(b"a=1&a=2&b=%FF"), repeated("a"));
    }
}
