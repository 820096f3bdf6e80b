//! The one settings loader of both binaries. Layers, later wins:
//!
//! 1. the binary's commented defaults file, compiled in (`include_str!`): every setting with
//!    its default, and the documentation of each;
//! 2. the TOML file named by the binary's file variable (`SHIPPING_CONFIG` for the API,
//!    `SHIPPING_WORKER_CONFIG` for the worker), if set; a named file that is missing is an error;
//! 3. generic aliases from the environment (`DATABASE_URL`, the seed's `SHIPROCKET_*`);
//! 4. `SHIPPING__SECTION__KEY` from the environment.
//!
//! So the specific `SHIPPING__…` key always beats a generic alias for the same setting, in both
//! binaries (ADR 0011). Environment values are strings, converted to the setting's type when
//! read (so a password `0123` stays `0123`); the binary's list keys are split on commas (an
//! empty value is an empty list). Every failure is a [`SettingsError`] naming the setting.

use config::{Config, ConfigError, File, FileFormat, Map, Source, Value, ValueKind};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// The prefix of the specific variables: `SHIPPING__DATABASE__URL` is `database.url`.
pub const PREFIX: &str = "SHIPPING__";

/// Where one binary's settings come from.
#[derive(Debug, Clone, Copy)]
pub struct Layers {
    /// The defaults file's text (TOML), compiled in.
    pub defaults: &'static str,
    /// The variable naming an optional TOML file; unset or empty: no file.
    pub file_variable: &'static str,
    /// Generic variable → setting key, e.g. `("DATABASE_URL", "database.url")`.
    pub aliases: &'static [(&'static str, &'static str)],
    /// Keys whose environment values are comma-separated lists.
    pub list_keys: &'static [&'static str],
}

/// A setting that could not be read, naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("setting `{key}` is missing")]
    Missing { key: String },
    #[error("setting `{key}`{}: {reason}", from(origin.as_deref()))]
    Invalid {
        key: String,
        /// Where the value came from (a variable or a file), when known.
        origin: Option<String>,
        reason: String,
    },
    #[error("settings file {path}: {reason}")]
    File { path: String, reason: String },
}

fn from(origin: Option<&str>) -> String {
    origin.map(|o| format!(" (from {o})")).unwrap_or_default()
}

impl SettingsError {
    /// A value that was read but is not acceptable (the binaries' own checks).
    pub fn invalid(key: &str, reason: impl Into<String>) -> SettingsError {
        SettingsError::Invalid { key: key.to_owned(), origin: None, reason: reason.into() }
    }

    /// The key this error is about (for a file error, none).
    pub fn key(&self) -> Option<&str> {
        match self {
            SettingsError::Missing { key } | SettingsError::Invalid { key, .. } => Some(key),
            SettingsError::File { .. } => None,
        }
    }

    fn from_config(e: ConfigError, file: Option<&str>) -> SettingsError {
        match e {
            ConfigError::NotFound(key) => SettingsError::Missing { key: dotted(&key) },
            ConfigError::Type { origin, unexpected, expected, key } => SettingsError::Invalid {
                key: key.unwrap_or_default(),
                origin,
                reason: format!("expected {expected}, found {unexpected}"),
            },
            ConfigError::At { error, origin, key } => {
                let key = key.unwrap_or_default();
                match *error {
                    ConfigError::Message(m) => match missing_field(&m) {
                        Some(field) => SettingsError::Missing { key: join(&key, field) },
                        None => SettingsError::Invalid { key, origin, reason: m },
                    },
                    inner => SettingsError::Invalid { key, origin, reason: inner.to_string() },
                }
            }
            ConfigError::Message(m) => match missing_field(&m) {
                Some(field) => SettingsError::Missing { key: field.to_owned() },
                None => SettingsError::Invalid { key: String::new(), origin: None, reason: m },
            },
            ConfigError::FileParse { uri, cause } => SettingsError::File {
                path: uri.unwrap_or_else(|| "(the compiled-in defaults)".into()),
                reason: cause.to_string(),
            },
            other => SettingsError::File { path: file.unwrap_or("(none)").to_owned(), reason: other.to_string() },
        }
    }
}

/// serde's "missing field `x`" message, as the field's name.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

/// `config` writes a field after an index without its dot (`users[0]password_hash`).
fn dotted(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 2);
    let mut after_index = false;
    for c in key.chars() {
        if after_index && c != '[' && c != '.' {
            out.push('.');
        }
        after_index = c == ']';
        out.push(c);
    }
    out
}

fn join(parent: &str, field: &str) -> String {
    if parent.is_empty() { field.to_owned() } else { format!("{parent}.{field}") }
}

/// Environment values as a configuration source: each value remembers its variable.
#[derive(Debug, Clone)]
struct EnvLayer(Vec<(String, Value)>);

impl Source for EnvLayer {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, Value>, ConfigError> {
        Ok(self.0.iter().cloned().collect())
    }
}

impl Layers {
    /// Reads the layers from the process environment.
    pub fn load<T: DeserializeOwned>(&self) -> Result<T, SettingsError> {
        self.load_from(&std::env::vars().collect())
    }

    /// Reads the layers from `env` (tests pass their own map; nothing reads the process
    /// environment).
    pub fn load_from<T: DeserializeOwned>(&self, env: &HashMap<String, String>) -> Result<T, SettingsError> {
        let file = env.get(self.file_variable).map(String::as_str).filter(|p| !p.is_empty());
        let mut builder = Config::builder().add_source(File::from_str(self.defaults, FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(File::with_name(path).format(FileFormat::Toml).required(true));
        }
        let aliases =
            self.aliases.iter().filter_map(|(var, key)| env.get(*var).map(|v| self.entry(var, key.to_string(), v)));
        let mut specific: Vec<_> = env
            .iter()
            .filter_map(|(var, v)| {
                let key = var.to_ascii_lowercase().strip_prefix("shipping__")?.replace("__", ".");
                Some(self.entry(var, key, v))
            })
            .collect();
        // Sorted so that two spellings of one key resolve the same way on every start.
        specific.sort_by(|a, b| a.0.cmp(&b.0));
        let config = builder
            .add_source(EnvLayer(aliases.collect()))
            .add_source(EnvLayer(specific))
            .build()
            .map_err(|e| SettingsError::from_config(e, file))?;
        config.try_deserialize().map_err(|e| SettingsError::from_config(e, file))
    }

    fn entry(&self, var: &str, key: String, value: &str) -> (String, Value) {
        let origin = Some(var.to_owned());
        let kind = if self.list_keys.contains(&key.as_str()) {
            let items = value.split(',').filter(|_| !value.is_empty());
            ValueKind::Array(items.map(|item| Value::new(origin.as_ref(), item)).collect())
        } else {
            ValueKind::String(value.to_owned())
        };
        (key, Value::new(origin.as_ref(), kind))
    }
}

#[cfg(test)]
mod tests;
