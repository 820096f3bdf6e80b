//! `POST auth/login` and `POST auth/logout`.

use super::{Accepted, Endpoint, decode_accepted, json, to_body};
use crate::config::Secret;
use crate::error::{Error, Result};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// `POST auth/login` — exchanges the API user's e-mail and password for a 240 h token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Login {
    pub email: String,
    #[serde(serialize_with = "expose_secret")]
    pub password: Secret,
}

fn expose_secret<S: serde::Serializer>(s: &Secret, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.expose())
}

/// The login answer. There is no `expires_in`: the client records when it logged in.
#[derive(Debug, Clone, Deserialize)]
pub struct LoginResponse {
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    pub id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    pub company_id: Option<u64>,
    #[serde(deserialize_with = "secret_token")]
    pub token: Secret,
}

fn secret_token<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    let t = crate::de::text(d)?;
    Ok(Secret::new(t))
}

impl Endpoint for Login {
    type Response = LoginResponse;
    const NAME: &'static str = "auth.login";
    const METHOD: Method = Method::POST;
    const AUTH: bool = false;

    fn path(&self) -> Cow<'static, str> {
        "auth/login".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        to_body(self)
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<LoginResponse> {
        let value: serde_json::Value = json(body)?;
        if let Some(e) = super::embedded_failure(&value) {
            return Err(self.refine_error(400, e));
        }
        json(body)
    }

    /// Any refusal of a login is an authentication failure (bad credentials answer 400, a
    /// firewall 403); 429 and 5xx keep their own class so they are retried.
    fn refine_error(&self, status: u16, error: Error) -> Error {
        match error {
            Error::RateLimited { .. } | Error::Server { .. } | Error::Network { .. } | Error::Timeout { .. } => error,
            Error::Auth { .. } => error,
            other => Error::Auth { status, message: other.to_string() },
        }
    }
}

/// `POST auth/logout` — invalidates the current token. No body; the answer is not documented.
#[derive(Debug, Clone, Copy, Default)]
pub struct Logout;

impl Endpoint for Logout {
    type Response = Accepted;
    const NAME: &'static str = "auth.logout";
    const METHOD: Method = Method::POST;

    fn path(&self) -> Cow<'static, str> {
        "auth/logout".into()
    }

    fn decode(&self, status: u16, body: &[u8]) -> Result<Accepted> {
        decode_accepted(status, body)
    }
}
