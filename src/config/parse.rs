//! How a setting's text becomes a value of [`Config`], and how `config
//! check` shows it again: one [`Kind`] per shape of setting (a bounded
//! number, a duration, a word of two, a list, a secret, a secret or the file
//! holding it; the secret ones are in `parse/secret.rs`).

mod secret;

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use super::{Config, ConfigError};

pub use secret::{FileOf, Secret, SecretOrFile};

/// The field of [`Config`] a setting fills: `field!(throttle.login_window)`.
pub struct Field<T: 'static> {
    pub get: fn(&Config) -> &T,
    pub set: fn(&mut Config) -> &mut T,
}

macro_rules! field {
    ($($f:ident).+) => {
        $crate::config::parse::Field {
            get: |c| &c.$($f).+,
            set: |c| &mut c.$($f).+,
        }
    };
}
pub(super) use field;

/// Where values come from: the environment, a file, or a map in tests. A
/// value that is empty or only spaces counts as unset.
pub struct Source<'a>(pub &'a dyn Fn(&str) -> Option<String>);

impl Source<'_> {
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }
}

/// One setting to read: its name, and its text (the variable's value or
/// its default's; None when unset without a default).
pub struct Input<'a> {
    pub name: &'static str,
    pub text: Option<String>,
    /// For settings that come in pairs.
    pub source: &'a Source<'a>,
}

impl Input<'_> {
    fn error(&self, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            name: self.name,
            reason: reason.into(),
        }
    }

    /// The text, which the setting's default guarantees.
    fn required(&self) -> Result<&str, ConfigError> {
        self.text
            .as_deref()
            .ok_or_else(|| self.error("a value is required"))
    }

    /// The text parsed as a `T`; the reason quotes the text as given.
    fn parse<T: FromStr>(&self) -> Result<T, ConfigError>
    where
        T::Err: Display,
    {
        parse(self.required()?).map_err(|r| self.error(r))
    }

    /// The text as a number between `min` and `max`.
    fn bounded(&self, min: u64, max: u64) -> Result<u64, ConfigError> {
        let n: u64 = self.parse()?;
        if n < min || n > max {
            return Err(self.error(format!("must be between {min} and {max}, got {n}")));
        }
        Ok(n)
    }
}

/// `value` parsed as a `T`; the reason quotes the value as given, but for
/// what may be credentials (anything before an `@`, as in a URL's
/// `user:password@`).
pub fn parse<T: FromStr>(value: &str) -> Result<T, String>
where
    T::Err: Display,
{
    value
        .trim()
        .parse()
        .map_err(|e: T::Err| format!("`{}`: {e}", quotable(value)))
}

/// `value` with anything before its last `@` (after a `scheme://`) hidden.
fn quotable(value: &str) -> String {
    let Some((before, host)) = value.rsplit_once('@') else {
        return value.to_owned();
    };
    match before.split_once("://") {
        Some((scheme, _)) if !scheme.contains(['/', '@']) => {
            format!("{scheme}://<redacted>@{host}")
        }
        _ => format!("<redacted>@{host}"),
    }
}

#[cfg(test)]
#[test]
fn a_value_quoted_in_an_error_hides_what_may_be_credentials() {
    assert_eq!(quotable("smpt://u:SECRET@h:25"), "smpt://<redacted>@h:25");
    assert_eq!(quotable("smtp://u:SE@CRET@h"), "smtp://<redacted>@h");
    assert_eq!(quotable("u:SECRET@h"), "<redacted>@h");
    assert_eq!(quotable("12x"), "12x");
    let e = parse::<u16>("smtp://user:hunter2@host").unwrap_err();
    assert!(!e.contains("hunter2"), "{e}");
}

/// A shape of setting: how it is read into [`Config`] and shown.
pub trait Kind: Sync {
    /// Reads the setting into `config`.
    fn read(&self, input: Input, config: &mut Config) -> Result<(), ConfigError>;

    /// The effective value as `config check` shows it (`unset` when there is
    /// none). None: the setting is not listed (a `_FILE` alternative).
    fn show(&self, config: &Config, unset: &str) -> Option<String>;

    /// Whether `config check` hides the value.
    fn is_secret(&self) -> bool {
        false
    }

    /// The values allowed, for the README ("" when the doc says it).
    fn allowed(&self) -> String {
        String::new()
    }
}

/// Text kept as given, shown through `show` (which may redact it).
pub struct Text {
    pub field: Field<String>,
    pub show: fn(&str) -> String,
}

impl Kind for Text {
    fn read(&self, input: Input, c: &mut Config) -> Result<(), ConfigError> {
        *(self.field.set)(c) = input.required()?.to_owned();
        Ok(())
    }
    fn show(&self, c: &Config, _: &str) -> Option<String> {
        Some((self.show)((self.field.get)(c)))
    }
}

/// Any value with `FromStr` (an address, say).
pub struct Parsed<T: 'static>(pub Field<T>);

impl<T: FromStr + Display> Kind for Parsed<T>
where
    T::Err: Display,
{
    fn read(&self, input: Input, c: &mut Config) -> Result<(), ConfigError> {
        *(self.0.set)(c) = input.parse()?;
        Ok(())
    }
    fn show(&self, c: &Config, _: &str) -> Option<String> {
        Some((self.0.get)(c).to_string())
    }
}

/// An optional [`Parsed`] value.
pub struct Optional<T: 'static>(pub Field<Option<T>>);

impl<T: FromStr + Display> Kind for Optional<T>
where
    T::Err: Display,
{
    fn read(&self, input: Input, c: &mut Config) -> Result<(), ConfigError> {
        *(self.0.set)(c) = match input.text {
            None => None,
            Some(_) => Some(input.parse()?),
        };
        Ok(())
    }
    fn show(&self, c: &Config, unset: &str) -> Option<String> {
        Some((self.0.get)(c).as_ref().map_or(unset.into(), T::to_string))
    }
}

/// A whole number between `min` and `max`.
pub struct Count<T: 'static> {
    pub field: Field<T>,
    pub min: u64,
    pub max: u64,
}

impl<T> Count<T> {
    pub const fn new(field: Field<T>, min: u64, max: u64) -> Self {
        Self { field, min, max }
    }
}

impl<T: TryFrom<u64> + Display> Kind for Count<T> {
    fn read(&self, input: Input, c: &mut Config) -> Result<(), ConfigError> {
        let n = input.bounded(self.min, self.max)?;
        *(self.field.set)(c) = T::try_from(n).map_err(|_| input.error("too large"))?;
        Ok(())
    }
    fn show(&self, c: &Config, _: &str) -> Option<String> {
        Some((self.field.get)(c).to_string())
    }
    fn allowed(&self) -> String {
        format!("{}–{}", self.min, self.max)
    }
}

/// A field that holds a number of seconds: a [`Duration`], or an `i64` for
/// windows the database compares with Unix times.
pub trait Seconds: Copy + Send + Sync {
    fn from_secs(n: u64) -> Self;
    fn secs(self) -> u64;
}

impl Seconds for Duration {
    fn from_secs(n: u64) -> Self {
        Duration::from_secs(n)
    }
    fn secs(self) -> u64 {
        self.as_secs()
    }
}

impl Seconds for i64 {
    fn from_secs(n: u64) -> Self {
        i64::try_from(n).unwrap_or(i64::MAX)
    }
    fn secs(self) -> u64 {
        u64::try_from(self).unwrap_or_default()
    }
}

/// A number of seconds, at least 1.
pub struct Secs<T: 'static>(pub Field<T>);

impl<T: Seconds> Kind for Secs<T> {
    fn read(&self, input: Input, c: &mut Config) -> Result<(), ConfigError> {
        match input.parse::<u64>()? {
            0 => Err(input.error("must be at least 1 second")),
            n => {
                *(self.0.set)(c) = T::from_secs(n);
                Ok(())
            }
        }
    }
    fn show(&self, c: &Config, _: &str) -> Option<String> {
        Some((self.0.get)(c).secs().to_string())
    }
    fn allowed(&self) -> String {
        "at least 1".into()
    }
}

/// A number of milliseconds between `min` and `max`.
pub struct Millis {
    pub field: Field<Duration>,
    pub min: u64,
    pub max: u64,
}

impl Kind for Millis {
    fn read(&self, input: Input, c: &mut Config) -> Result<(), ConfigError> {
        *(self.field.set)(c) = Duration::from_millis(input.bounded(self.min, self.max)?);
        Ok(())
    }
    fn show(&self, c: &Config, _: &str) -> Option<String> {
        Some((self.field.get)(c).as_millis().to_string())
    }
    fn allowed(&self) -> String {
        format!("{}–{}", self.min, self.max)
    }
}

/// One of two words (any case): `no` gives false, `yes` true.
pub struct Choice {
    pub field: Field<bool>,
    pub no: &'static str,
    pub yes: &'static str,
}

impl Kind for Choice {
    fn read(&self, input: Input, c: &mut Config) -> Result<(), ConfigError> {
        let (no, yes, text) = (self.no, self.yes, input.required()?);
        *(self.field.set)(c) = match text.trim() {
            v if v.eq_ignore_ascii_case(no) => false,
            v if v.eq_ignore_ascii_case(yes) => true,
            _ => return Err(input.error(format!("expected `{no}` or `{yes}`, got `{text}`"))),
        };
        Ok(())
    }
    fn show(&self, c: &Config, _: &str) -> Option<String> {
        Some(
            if *(self.field.get)(c) {
                self.yes
            } else {
                self.no
            }
            .into(),
        )
    }
    fn allowed(&self) -> String {
        format!("`{}` or `{}`", self.no, self.yes)
    }
}

/// Comma-separated items, each read by `item` (whose reason quotes it),
/// each shown by `show` (`config check`).
pub struct List<T: 'static> {
    pub field: Field<Vec<T>>,
    pub item: fn(&str) -> Result<T, String>,
    pub show: fn(&T) -> String,
}

impl<T: Display> Kind for List<T> {
    fn read(&self, input: Input, c: &mut Config) -> Result<(), ConfigError> {
        *(self.field.set)(c) = input
            .text
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| (self.item)(s).map_err(|r| input.error(r)))
            .collect::<Result<_, _>>()?;
        Ok(())
    }
    fn show(&self, c: &Config, unset: &str) -> Option<String> {
        let items = (self.field.get)(c);
        if items.is_empty() {
            return Some(unset.into());
        }
        Some(items.iter().map(self.show).collect::<Vec<_>>().join(","))
    }
}
