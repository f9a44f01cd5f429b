//! The secret kinds of setting: given as the value ([`Secret`]), or as the
//! value or a file holding it ([`SecretOrFile`], with its [`FileOf`]).
//! `config check` shows whether they are set, never what they are.

use secrecy::zeroize::Zeroizing;
use secrecy::SecretString;

use super::{Field, Input, Kind};
use crate::config::{Config, ConfigError};

/// Whether a secret is set, never the secret.
fn show_secret(set: bool, unset: &str) -> Option<String> {
    Some(if set { "<redacted>" } else { unset }.into())
}

/// A secret given as the value, checked by `check` (which returns it as it
/// is kept, and whose reason never repeats it).
pub struct Secret {
    pub field: Field<Option<SecretString>>,
    pub check: fn(&str) -> Result<String, String>,
}

impl Kind for Secret {
    fn read(&self, input: Input, c: &mut Config) -> Result<(), ConfigError> {
        *(self.field.set)(c) = match input.text.as_deref() {
            None => None,
            Some(t) => Some((self.check)(t).map_err(|r| input.error(r))?.into()),
        };
        Ok(())
    }
    fn show(&self, c: &Config, unset: &str) -> Option<String> {
        show_secret((self.field.get)(c).is_some(), unset)
    }
    fn is_secret(&self) -> bool {
        true
    }
}

/// A secret given as the value or in a file named by the setting `file`
/// (not both). `check` sees the text and, when it came from a file, the
/// file's path; its reason never repeats the text. A file used is
/// remembered in [`Config::secret_files`].
pub struct SecretOrFile {
    pub field: Field<Option<SecretString>>,
    pub file: &'static str,
    pub check: fn(&str, Option<&str>) -> Result<(), String>,
}

impl Kind for SecretOrFile {
    fn read(&self, input: Input, c: &mut Config) -> Result<(), ConfigError> {
        let (name, file) = (input.name, self.file);
        let (from, text, path) = match (&input.text, input.source.get(file)) {
            (Some(_), Some(_)) => {
                return Err(input.error(format!("set either {name} or {file}, not both")))
            }
            (Some(v), None) => (name, Zeroizing::new(v.clone()), None),
            (None, Some(path)) => {
                let path = path.trim().to_owned();
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
                    name: file,
                    reason: format!("cannot read {path}: {e}"),
                })?;
                (file, Zeroizing::new(text), Some(path))
            }
            (None, None) => {
                *(self.field.set)(c) = None;
                return Ok(());
            }
        };
        (self.check)(&text, path.as_deref())
            .map_err(|reason| ConfigError { name: from, reason })?;
        *(self.field.set)(c) = Some(text.trim().to_owned().into());
        if let Some(path) = path {
            c.secret_files.push((file, path.into()));
        }
        Ok(())
    }
    fn show(&self, c: &Config, unset: &str) -> Option<String> {
        show_secret((self.field.get)(c).is_some(), unset)
    }
    fn is_secret(&self) -> bool {
        true
    }
}

/// The file alternative of the [`SecretOrFile`] setting named, which reads
/// it.
pub struct FileOf(pub &'static str);

impl Kind for FileOf {
    fn read(&self, _: Input, _: &mut Config) -> Result<(), ConfigError> {
        Ok(())
    }
    fn show(&self, _: &Config, _: &str) -> Option<String> {
        None
    }
    fn allowed(&self) -> String {
        format!("a path; not with `{}`", self.0)
    }
}
