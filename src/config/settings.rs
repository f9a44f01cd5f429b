//! Every setting, declared once: its variable, its default, how it is read
//! and checked (which fixes its type and range), and one line of doc. The
//! environment and TOML reading, `config check` and the README's settings
//! table are derived from [`SETTINGS`].

use super::checks;
use super::parse::{Input, Kind, Source};
use super::{Config, ConfigError};

/// One setting.
pub struct Setting {
    /// The environment variable (the TOML key is derived: [`Setting::file_key`]).
    pub name: &'static str,
    /// What holds when the variable is unset.
    pub unset: Unset,
    /// How the value is read into [`Config`] and shown.
    pub kind: &'static dyn Kind,
    /// One line for the README.
    pub doc: &'static str,
}

/// What a setting is when its variable is unset.
pub enum Unset {
    /// This value, read as if the variable held it.
    Value(&'static str),
    /// A value worked out at start by `text`; `doc` says how (for the README).
    Computed {
        doc: &'static str,
        text: fn() -> String,
    },
    /// No value; the text says what that means ("" when it needs no saying).
    Nothing(&'static str),
}

use Unset::{Computed, Nothing, Value};

pub use super::table::SETTINGS;

impl Setting {
    /// The key in a TOML file: the variable without `GATEHOUSE_`, lower case.
    pub fn file_key(&self) -> String {
        super::file_key(self.name)
    }

    /// Whether `config check` hides the value.
    pub fn is_secret(&self) -> bool {
        self.kind.is_secret()
    }

    pub(super) fn read(&self, source: &Source, config: &mut Config) -> Result<(), ConfigError> {
        let text = source.get(self.name).or_else(|| match self.unset {
            Value(v) => Some(v.to_owned()),
            Computed { text, .. } => Some(text()),
            Nothing(_) => None,
        });
        let input = Input {
            name: self.name,
            text,
            source,
        };
        self.kind.read(input, config)
    }

    /// The effective value as `config check` shows it, if listed there.
    pub(super) fn show(&self, config: &Config) -> Option<String> {
        let unset = match self.unset {
            Nothing("") => "(none)".to_owned(),
            Nothing(what) => format!("(none: {what})"),
            _ => String::new(),
        };
        self.kind.show(config, &unset)
    }

    /// The default as the README shows it.
    fn default_doc(&self) -> String {
        match self.unset {
            Value(v) => format!("`{v}`"),
            Computed { doc, .. } => doc.to_owned(),
            Nothing("") => "none".to_owned(),
            Nothing(what) => format!("none: {what}"),
        }
    }
}

/// Rules that span settings, checked once all are read.
pub(super) fn check(c: &Config) -> Result<(), ConfigError> {
    if u64::from(c.argon2.memory_kib) < 8 * u64::from(c.argon2.parallelism) {
        return Err(ConfigError {
            name: "GATEHOUSE_ARGON2_MEMORY_KIB",
            reason: "must be at least 8 KiB per lane of parallelism".into(),
        });
    }
    checks::path_prefix(&c.django_rest_prefix).map_err(|reason| ConfigError {
        name: "GATEHOUSE_DJANGO_REST_PREFIX",
        reason,
    })?;
    let issuer = &c.mfa_issuer;
    if issuer.trim().is_empty()
        || issuer.chars().count() > 64
        || issuer.contains(':')
        || issuer.chars().any(char::is_control)
    {
        return Err(ConfigError {
            name: "GATEHOUSE_MFA_ISSUER",
            reason: "must be 1 to 64 characters, without `:` or control characters".into(),
        });
    }
    if c.webhooks.urls.len() > 10 {
        return Err(ConfigError {
            name: "GATEHOUSE_WEBHOOK_URL",
            reason: "lists more than 10 URLs: every event writes a delivery for each in the \
                     transaction of its change; fan out at a receiver instead"
                .into(),
        });
    }
    let mut urls: Vec<&String> = c.webhooks.urls.iter().collect();
    urls.sort();
    if urls.windows(2).any(|w| w[0] == w[1]) {
        return Err(ConfigError {
            name: "GATEHOUSE_WEBHOOK_URL",
            reason: "lists a URL twice: each would get every event twice".into(),
        });
    }
    if !c.webhooks.urls.is_empty() && c.webhooks.secret.is_none() {
        return Err(ConfigError {
            name: "GATEHOUSE_WEBHOOK_SECRET",
            reason: "is needed to sign what GATEHOUSE_WEBHOOK_URL is sent (e.g. `whsec_` and \
                     `openssl rand -base64 32`)"
                .into(),
        });
    }
    Ok(())
}

/// The README's settings table (between its `settings` markers).
pub fn readme_table() -> String {
    let mut table = String::from("| variable | default | allowed | meaning |\n|---|---|---|---|\n");
    for s in SETTINGS {
        let allowed = s.kind.allowed();
        let (name, default, doc) = (s.name, s.default_doc(), s.doc);
        table += &format!("| `{name}` | {default} | {allowed} | {doc} |\n");
    }
    table
}
