//! The Shiprocket token: where it is kept and who may refresh it.
//!
//! Shiprocket's login returns a JWT valid for 240 h and says nothing about its expiry, so we
//! record when we obtained it. A [`TokenStore`] holds the current token; the in-memory store
//! serves one process, the Redis store lets a whole worker fleet share one token and one login.
//! Refreshes are single-flight twice over: a mutex inside the process, and a lock in the store
//! across processes.

use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

/// A boxed future, so that token stores can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A bearer token and the window in which we trust it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    value: String,
    pub obtained_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Token {
    pub fn new(value: impl Into<String>, obtained_at: DateTime<Utc>, lifetime: Duration) -> Self {
        let lifetime = chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::days(10));
        Token { value: value.into(), obtained_at, expires_at: obtained_at + lifetime }
    }

    /// The raw bearer value, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Usable now, with at least `margin` left before it expires.
    pub fn is_fresh(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        let margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::zero());
        now + margin < self.expires_at
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &"[redacted]")
            .field("obtained_at", &self.obtained_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where the current token lives. Implementations must be safe to share between tasks and,
/// for shared stores, between processes.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The current token, if any (fresh or not: the caller decides).
    fn load(&self) -> BoxFuture<'_, Result<Option<Token>>>;
    /// Replace the current token.
    fn save<'a>(&'a self, token: &'a Token) -> BoxFuture<'a, Result<()>>;
    /// Forget the token, but only if it is still `token` (a 401 on an old token must not throw
    /// away the fresh one another caller has just obtained).
    fn discard<'a>(&'a self, token: &'a Token) -> BoxFuture<'a, Result<()>>;
    /// Try to become the one member of the fleet that logs in, for at most `ttl`. Returns a
    /// lock id when acquired, `None` when someone else holds it.
    fn try_lock_refresh(&self, ttl: Duration) -> BoxFuture<'_, Result<Option<String>>>;
    /// Give the refresh lock back (only if `lock_id` still holds it).
    fn unlock_refresh<'a>(&'a self, lock_id: &'a str) -> BoxFuture<'a, Result<()>>;
}

/// A token store for one process. Refresh locking is left to the client's own mutex.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    token: Mutex<Option<Token>>,
}

impl MemoryTokenStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Option<Token>) -> T) -> T {
        // A poisoned lock only means another thread panicked mid-update of a plain value.
        let mut guard = self.token.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<Token>>> {
        let t = self.with(|t| t.clone());
        Box::pin(async move { Ok(t) })
    }

    fn save<'a>(&'a self, token: &'a Token) -> BoxFuture<'a, Result<()>> {
        self.with(|t| *t = Some(token.clone()));
        Box::pin(async { Ok(()) })
    }

    fn discard<'a>(&'a self, token: &'a Token) -> BoxFuture<'a, Result<()>> {
        self.with(|t| {
            if t.as_ref().is_some_and(|cur| cur.value == token.value) {
                *t = None;
            }
        });
        Box::pin(async { Ok(()) })
    }

    fn try_lock_refresh(&self, _ttl: Duration) -> BoxFuture<'_, Result<Option<String>>> {
        Box::pin(async { Ok(Some(String::new())) })
    }

    fn unlock_refresh<'a>(&'a self, _lock_id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// A token store in Redis, shared by every process that uses the same `key_prefix`.
///
/// Keys: `{prefix}shiprocket:token` (JSON, expiring with the token) and
/// `{prefix}shiprocket:token:lock` (the refresh lock, `SET NX PX`).
#[derive(Clone)]
pub struct RedisTokenStore {
    conn: redis::aio::ConnectionManager,
    token_key: String,
    lock_key: String,
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore").field("token_key", &self.token_key).finish_non_exhaustive()
    }
}

/// Deletes `KEYS[1]` only if it holds `ARGV[1]`.
const COMPARE_AND_DELETE: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/// Deletes the token JSON only if it holds the token value `ARGV[1]`.
const DISCARD_IF_SAME_TOKEN: &str = r#"
local cur = redis.call('GET', KEYS[1])
if cur and cjson.decode(cur)['value'] == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0"#;

fn store_error(e: redis::RedisError) -> Error {
    Error::Network { message: format!("token store: {e}") }
}

impl RedisTokenStore {
    /// Connects to `redis_url`; all keys start with `key_prefix` (e.g. `"prod:"`, or a per-test
    /// prefix).
    pub async fn connect(redis_url: &str, key_prefix: &str) -> Result<Self> {
        let client = redis::Client::open(redis_url).map_err(store_error)?;
        let conn = redis::aio::ConnectionManager::new(client).await.map_err(store_error)?;
        Ok(Self::from_connection(conn, key_prefix))
    }

    /// Uses an existing connection manager (the worker shares one with its queue).
    pub fn from_connection(conn: redis::aio::ConnectionManager, key_prefix: &str) -> Self {
        RedisTokenStore {
            conn,
            token_key: format!("{key_prefix}shiprocket:token"),
            lock_key: format!("{key_prefix}shiprocket:token:lock"),
        }
    }
}

impl TokenStore for RedisTokenStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<Token>>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let raw: Option<String> =
                redis::cmd("GET").arg(&self.token_key).query_async(&mut conn).await.map_err(store_error)?;
            // A value we cannot read is treated as no token: the next login overwrites it.
            Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
        })
    }

    fn save<'a>(&'a self, token: &'a Token) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let json = serde_json::to_string(token).map_err(|e| Error::decode("token", e.to_string()))?;
            let ttl_ms = (token.expires_at - Utc::now()).num_milliseconds().max(1);
            let () = redis::cmd("SET")
                .arg(&self.token_key)
                .arg(json)
                .arg("PX")
                .arg(ttl_ms)
                .query_async(&mut conn)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }

    fn discard<'a>(&'a self, token: &'a Token) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let _: i64 = redis::cmd("EVAL")
                .arg(DISCARD_IF_SAME_TOKEN)
                .arg(1)
                .arg(&self.token_key)
                .arg(token.expose())
                .query_async(&mut conn)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }

    fn try_lock_refresh(&self, ttl: Duration) -> BoxFuture<'_, Result<Option<String>>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let id = format!("{}-{}", std::process::id(), Utc::now().timestamp_nanos_opt().unwrap_or_default());
            let ok: Option<String> = redis::cmd("SET")
                .arg(&self.lock_key)
                .arg(&id)
                .arg("NX")
                .arg("PX")
                .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1))
                .query_async(&mut conn)
                .await
                .map_err(store_error)?;
            Ok(ok.map(|_| id))
        })
    }

    fn unlock_refresh<'a>(&'a self, lock_id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let _: i64 = redis::cmd("EVAL")
                .arg(COMPARE_AND_DELETE)
                .arg(1)
                .arg(&self.lock_key)
                .arg(lock_id)
                .query_async(&mut conn)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }
}
