//! Layered settings ([`shipping_settings`], the worker's shape too): the documented defaults in
//! `config/default.toml` (compiled in), the TOML file named by `SHIPPING_CONFIG`, the seed's
//! names as aliases, then `SHIPPING__SECTION__KEY` (which beats an alias). Validated once at
//! start; the Shiprocket feature flags can be swapped at runtime.

use serde::Deserialize;
use shipping_domain::Preference;
use shipping_settings::Layers;
use std::collections::HashMap;
use std::fmt;

pub use shipping_settings::SettingsError;

const LAYERS: Layers = Layers {
    defaults: include_str!("../config/default.toml"),
    file_variable: "SHIPPING_CONFIG",
    aliases: ALIASES,
    list_keys: LIST_KEYS,
};

/// Seed variable → setting key.
const ALIASES: &[(&str, &str)] = &[
    ("DATABASE_URL", "database.url"),
    ("REDIS_URL", "redis.url"),
    ("SHIPPING_API_KEYS", "auth.api_keys"),
    ("SHIPPING_URL_SIGNING_KEY", "auth.url_signing_key"),
    ("SHIPROCKET_ENABLED", "shiprocket.enabled"),
    ("SHIPROCKET_AUTO_SYNC", "shiprocket.auto_sync"),
    ("SHIPROCKET_SHOW_RATES", "shiprocket.show_rates"),
    ("SHIPROCKET_API_URL", "shiprocket.base_url"),
    ("SHIPROCKET_EMAIL", "shiprocket.email"),
    ("SHIPROCKET_PASSWORD", "shiprocket.password"),
    ("SHIPROCKET_PICKUP_LOCATION", "shiprocket.pickup_location"),
    ("SHIPROCKET_PICKUP_PINCODE", "shiprocket.pickup_pincode"),
    ("SHIPROCKET_WEBHOOK_SECRET", "shiprocket.webhook_token"),
    ("SHIPROCKET_WEBHOOK_TOKEN", "shiprocket.webhook_token"),
    ("SHIPROCKET_COURIER_PREFERENCE", "shiprocket.courier_preference"),
    ("SHIPROCKET_PREFERRED_COURIERS", "shiprocket.preferred_couriers"),
    ("SHIPROCKET_RATE_CACHE_TTL", "rates.cache_ttl_secs"),
    ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "telemetry.otlp_endpoint"),
];

/// Keys whose environment values are comma-separated lists.
const LIST_KEYS: &[&str] = &["auth.api_keys", "shiprocket.preferred_couriers"];

/// A string that never prints.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "[empty]" } else { "[redacted]" })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub shiprocket: ShiprocketSettings,
    pub redis: RedisSettings,
    pub rates: RateSettings,
    pub webhooks: WebhookSettings,
    pub admin: AdminSettings,
    pub shop: ShopSettings,
    pub returns: ReturnSettings,
    pub telemetry: TelemetrySettings,
}

/// Who may sign in to the admin pages, and for how long.
#[derive(Debug, Clone, Deserialize)]
pub struct AdminSettings {
    pub users: Vec<AdminUser>,
    pub session_ttl_secs: u64,
    /// Without a courier estimate, a delivery counts as on time within this many days of the
    /// order (dashboard), and the customer's page promises this.
    pub on_time_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AdminUser {
    pub name: String,
    /// An argon2 PHC string (`shipping-api hash-password`).
    pub password_hash: Secret,
}

/// How the customer tracking page looks.
#[derive(Debug, Clone, Deserialize)]
pub struct ShopSettings {
    pub name: String,
    pub logo_url: String,
    pub primary_color: String,
    pub accent_color: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    /// OTLP/HTTP traces endpoint; empty: no traces.
    pub otlp_endpoint: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub listen: String,
    pub public_base_url: String,
    pub body_limit_bytes: usize,
    pub webhook_body_limit_bytes: usize,
    pub request_timeout_ms: u64,
    pub tracking_lookups_per_minute: u32,
    pub customer_forms_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: Secret,
    pub max_connections: u32,
    pub schema: String,
    pub migrate_on_start: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub api_keys: Vec<Secret>,
    pub url_signing_key: Secret,
    pub label_url_ttl_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ShiprocketSettings {
    pub enabled: bool,
    pub auto_sync: bool,
    pub show_rates: bool,
    pub base_url: String,
    pub email: String,
    pub password: Secret,
    pub pickup_location: String,
    pub pickup_pincode: String,
    pub webhook_token: Secret,
    pub courier_preference: String,
    pub preferred_couriers: Vec<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RedisSettings {
    pub url: Secret,
    pub key_prefix: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RateSettings {
    pub cache_ttl_secs: u64,
    pub weight_slab_grams: u32,
    pub upstream_timeout_ms: u64,
    pub requests_per_minute_per_source: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReturnSettings {
    /// When an exchange's replacement is created, unless the request says.
    pub replacement_ships: shipping_domain::ReplacementShips,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    pub rate_limit_per_minute: u32,
}

/// The switches read on every request (swappable without restart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    pub enabled: bool,
    pub auto_sync: bool,
    pub show_rates: bool,
}

/// `#rgb` or `#rrggbb`: the only form allowed into the tracking page's style sheet.
fn is_hex_colour(s: &str) -> bool {
    s.strip_prefix('#').is_some_and(|h| matches!(h.len(), 3 | 6) && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Settings {
    /// Whether links and cookies are served over HTTPS (cookies then carry `Secure`).
    pub fn is_https(&self) -> bool {
        self.server.public_base_url.trim().to_ascii_lowercase().starts_with("https://")
    }

    /// Reads the layers from the process environment.
    pub fn load() -> Result<Settings, SettingsError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Settings::load_from(&env)
    }

    /// Reads the layers from `env` (tests pass their own map; nothing touches the process
    /// environment).
    pub fn load_from(env: &HashMap<String, String>) -> Result<Settings, SettingsError> {
        let settings: Settings = LAYERS.load_from(env)?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let loc = self.shiprocket.pickup_location.trim();
        if loc.is_empty() || loc.chars().count() > 36 {
            return Err(SettingsError::invalid("shiprocket.pickup_location", "must be 1 to 36 characters"));
        }
        shipping_domain::Pincode::parse(&self.shiprocket.pickup_pincode)
            .map_err(|e| SettingsError::invalid("shiprocket.pickup_pincode", e.to_string()))?;
        url::Url::parse(&self.shiprocket.base_url)
            .map_err(|e| SettingsError::invalid("shiprocket.base_url", e.to_string()))?;
        self.courier_preference()?;
        if self.rates.weight_slab_grams == 0 {
            return Err(SettingsError::invalid("rates.weight_slab_grams", "must be more than 0"));
        }
        for (name, colour) in
            [("shop.primary_color", &self.shop.primary_color), ("shop.accent_color", &self.shop.accent_color)]
        {
            if !is_hex_colour(colour) {
                return Err(SettingsError::invalid(name, "must be a colour like #1f4e79"));
            }
        }
        let logo = self.shop.logo_url.trim();
        if !(logo.is_empty() || logo.starts_with("https://") || logo.starts_with("http://") || logo.starts_with('/'))
            || logo.contains(['"', '\'', '<', '>', ' '])
        {
            return Err(SettingsError::invalid("shop.logo_url", "must be empty, an http(s) URL or a path"));
        }
        for u in &self.admin.users {
            if u.name.trim().is_empty() || argon2::PasswordHash::new(u.password_hash.expose()).is_err() {
                return Err(SettingsError::invalid(
                    "admin.users",
                    format!("{:?} needs a name and an argon2 password_hash (shipping-api hash-password)", u.name),
                ));
            }
        }
        if self.admin.session_ttl_secs == 0 {
            return Err(SettingsError::invalid("admin.session_ttl_secs", "must be more than 0"));
        }
        if self.auth.api_keys.iter().any(Secret::is_empty) {
            return Err(SettingsError::invalid("auth.api_keys", "must not contain an empty key"));
        }
        Ok(())
    }

    /// The configured courier preference as the domain's type.
    pub fn courier_preference(&self) -> Result<Preference, SettingsError> {
        match self.shiprocket.courier_preference.trim().to_ascii_lowercase().as_str() {
            "cost" => Ok(Preference::Cost),
            "speed" => Ok(Preference::Speed),
            "rating" => Ok(Preference::Rating),
            "preferred" => Ok(Preference::Preferred(self.shiprocket.preferred_couriers.clone())),
            other => Err(SettingsError::invalid(
                "shiprocket.courier_preference",
                format!("unknown value {other:?} (cost, speed, rating, preferred)"),
            )),
        }
    }

    pub fn flags(&self) -> Flags {
        Flags {
            enabled: self.shiprocket.enabled,
            auto_sync: self.shiprocket.auto_sync,
            show_rates: self.shiprocket.show_rates,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_load_and_validate() {
        let s = Settings::load_from(&HashMap::new()).unwrap();
        assert!(s.shiprocket.enabled && s.shiprocket.auto_sync && s.shiprocket.show_rates);
        assert_eq!(s.rates.cache_ttl_secs, 900);
        assert!(s.auth.api_keys.is_empty());
    }

    #[test]
    fn seed_aliases_apply_and_own_names_win() {
        let s = Settings::load_from(&env(&[
            ("SHIPROCKET_ENABLED", "false"),
            ("SHIPROCKET_SHOW_RATES", "false"),
            ("SHIPROCKET_RATE_CACHE_TTL", "60"),
            ("SHIPROCKET_WEBHOOK_SECRET", "from-seed"),
            ("SHIPROCKET_PREFERRED_COURIERS", "12,43"),
            ("SHIPPING__SHIPROCKET__SHOW_RATES", "true"),
            ("SHIPPING__AUTH__API_KEYS", "k1,k2"),
        ]))
        .unwrap();
        assert!(!s.shiprocket.enabled);
        assert!(s.shiprocket.show_rates, "SHIPPING__ wins over the alias");
        assert_eq!(s.rates.cache_ttl_secs, 60);
        assert_eq!(s.shiprocket.webhook_token.expose(), "from-seed");
        assert_eq!(s.shiprocket.preferred_couriers, vec![12, 43]);
        assert_eq!(s.auth.api_keys.len(), 2);
    }

    #[test]
    fn invalid_settings_are_refused_and_secrets_never_print() {
        assert!(Settings::load_from(&env(&[("SHIPPING__SHOP__PRIMARY_COLOR", "red;}body{x")])).is_err());
        assert!(Settings::load_from(&env(&[("SHIPPING__SHOP__LOGO_URL", "javascript:alert(1)")])).is_err());
        assert!(Settings::load_from(&env(&[("SHIPPING__SHOP__ACCENT_COLOR", "#0a0")])).is_ok());
        assert!(Settings::load_from(&env(&[("SHIPPING__SHIPROCKET__PICKUP_PINCODE", "012345")])).is_err());
        assert!(Settings::load_from(&env(&[("SHIPPING__SHIPROCKET__COURIER_PREFERENCE", "vibes")])).is_err());
        let s = Settings::load_from(&env(&[("SHIPROCKET_PASSWORD", "hunter2")])).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn the_file_beats_the_defaults_and_the_environment_beats_the_file() {
        let path = std::env::temp_dir().join(format!("shipping-api-settings-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(&path, "[database]\nurl = \"sqlite://file.db\"\nmax_connections = 3\n").unwrap();
        let file = path.display().to_string();
        let s = Settings::load_from(&env(&[("SHIPPING_CONFIG", &file)])).unwrap();
        assert_eq!((s.database.url.expose(), s.database.max_connections), ("sqlite://file.db", 3));
        let s =
            Settings::load_from(&env(&[("SHIPPING_CONFIG", &file), ("DATABASE_URL", "sqlite://alias.db")])).unwrap();
        assert_eq!(s.database.url.expose(), "sqlite://alias.db", "an alias beats the file");
        let s = Settings::load_from(&env(&[
            ("SHIPPING_CONFIG", &file),
            ("DATABASE_URL", "sqlite://alias.db"),
            ("SHIPPING__DATABASE__URL", "sqlite://specific.db"),
        ]))
        .unwrap();
        assert_eq!(s.database.url.expose(), "sqlite://specific.db", "SHIPPING__DATABASE__URL beats DATABASE_URL");
        assert_eq!(s.database.max_connections, 3);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_missing_or_invalid_value_is_an_error_naming_the_setting() {
        let e = Settings::load_from(&env(&[("SHIPPING__SERVER__REQUEST_TIMEOUT_MS", "soon")])).unwrap_err();
        assert_eq!(e.key(), Some("server.request_timeout_ms"), "{e}");
        assert!(e.to_string().contains("SHIPPING__SERVER__REQUEST_TIMEOUT_MS"), "{e}");
        let e = Settings::load_from(&env(&[("SHIPPING__RATES__WEIGHT_SLAB_GRAMS", "0")])).unwrap_err();
        assert_eq!(e, SettingsError::invalid("rates.weight_slab_grams", "must be more than 0"));
        let path = std::env::temp_dir().join(format!("shipping-api-settings-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(&path, "[[admin.users]]\nname = \"ops\"\n").unwrap();
        let e = Settings::load_from(&env(&[("SHIPPING_CONFIG", &path.display().to_string())])).unwrap_err();
        assert_eq!(e, SettingsError::Missing { key: "admin.users[0].password_hash".into() });
        std::fs::remove_file(path).unwrap();
        let e = Settings::load_from(&env(&[("SHIPPING_CONFIG", "/nonexistent/api.toml")])).unwrap_err();
        assert!(matches!(e, SettingsError::File { .. }), "{e}");
    }
}
