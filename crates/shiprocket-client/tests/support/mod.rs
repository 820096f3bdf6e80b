//! A scripted HTTP server for client tests, running as a task on the test's own runtime so
//! that tokio's paused clock measures only what the client sleeps (a server on another thread
//! would make the paused clock jump while the client waits for it).
#![allow(dead_code, clippy::unwrap_used)]

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shiprocket_client::{Client, ClientConfig, Credentials, MemoryTokenStore, Secret, Token, TokenStore};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Where the fake API lives under the server root, as in production.
pub const PREFIX: &str = "/v1/external/";

/// A canned answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Option<Duration>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
            delay: None,
        }
    }
    pub fn raw(status: u16, body: &str) -> Self {
        Reply { status, headers: Vec::new(), body: body.as_bytes().to_vec(), delay: None }
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

/// A request as the server saw it; `at` is on tokio's clock (virtual when paused).
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Recorded {
    pub fn bearer(&self) -> Option<String> {
        self.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim_start_matches("Bearer ").to_owned())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

type Handler = Box<dyn FnMut(&Recorded) -> Reply + Send>;

#[derive(Default)]
struct State {
    routes: HashMap<(Method, String), Handler>,
    requests: Vec<Recorded>,
}

/// The server: routes by method and path (relative to [`PREFIX`]), records every request.
#[derive(Clone)]
pub struct ScriptedServer {
    state: Arc<Mutex<State>>,
    pub base_url: String,
}

impl ScriptedServer {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state: Arc<Mutex<State>> = Arc::default();
        let handler_state = state.clone();
        let app = axum::Router::new().fallback(move |req: Request| {
            let state = handler_state.clone();
            async move { handle(state, req).await }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        ScriptedServer { state, base_url: format!("http://{addr}{PREFIX}") }
    }

    /// Answers `method path` with `f`, replacing any earlier route for it.
    pub fn route(&self, method: Method, path: &str, f: impl FnMut(&Recorded) -> Reply + Send + 'static) {
        let key = (method, format!("{PREFIX}{path}"));
        self.state.lock().unwrap().routes.insert(key, Box::new(f));
    }

    /// Answers with `replies` in order, then with `then` for ever.
    pub fn sequence(&self, method: Method, path: &str, replies: Vec<Reply>, then: Reply) {
        let mut queue: VecDeque<Reply> = replies.into();
        self.route(method, path, move |_| queue.pop_front().unwrap_or_else(|| then.clone()));
    }

    /// Answers every call the same way.
    pub fn always(&self, method: Method, path: &str, reply: Reply) {
        self.route(method, path, move |_| reply.clone());
    }

    /// A login that hands out `token-1`, `token-2`, ... and the API that accepts only the latest.
    pub fn with_login(&self) -> Arc<Mutex<Vec<String>>> {
        let issued: Arc<Mutex<Vec<String>>> = Arc::default();
        let issued2 = issued.clone();
        self.route(Method::POST, "auth/login", move |_| {
            let mut v = issued2.lock().unwrap();
            let t = format!("token-{}", v.len() + 1);
            v.push(t.clone());
            Reply::json(200, json!({"id": 1, "company_id": 765432, "token": t, "first_name": "API"}))
        });
        issued
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        let full = format!("{PREFIX}{path}");
        self.requests().into_iter().filter(|r| r.path == full).collect()
    }

    pub fn count(&self, path: &str) -> usize {
        self.requests_to(path).len()
    }
}

async fn handle(state: Arc<Mutex<State>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 10 << 20).await.unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.clone(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers.clone(),
        body,
        at: Instant::now(),
    };
    let reply = {
        let mut st = state.lock().unwrap();
        st.requests.push(recorded.clone());
        match st.routes.get_mut(&(recorded.method.clone(), recorded.path.clone())) {
            Some(h) => h(&recorded),
            None => Reply::json(404, json!({"message": "404 Not Found", "status_code": 404})),
        }
    };
    if let Some(d) = reply.delay {
        tokio::time::sleep(d).await;
    }
    let mut resp = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (k, v) in reply.headers {
        resp.headers_mut().insert(axum::http::HeaderName::try_from(k).unwrap(), v.parse().unwrap());
    }
    resp
}

/// A config pointing at `server` with fast, generous limits and every other value at its
/// default (the retry policy in particular).
pub fn config_for(server: &ScriptedServer) -> ClientConfig {
    let mut c = ClientConfig::new(
        server.base_url.parse().unwrap(),
        Credentials { email: "api-user@example-store.in".into(), password: Secret::new("p4ssw0rd-never-logged") },
    );
    c.requests_per_second = 100_000;
    c.rate_limit_burst = 100_000;
    c
}

/// A client whose token store already holds `token` (valid for days).
pub async fn client_with_token(server: &ScriptedServer, config: ClientConfig, token: &str) -> Client {
    let store = Arc::new(MemoryTokenStore::new());
    store.save(&Token::new(token, chrono::Utc::now(), Duration::from_secs(240 * 3600))).await.unwrap();
    let _ = server;
    Client::with_token_store(config, store).unwrap()
}

/// Reads a fixture from the vendored copy of `shared/shiprocket/fixtures`.
pub fn fixture(name: &str) -> Value {
    let path = fixtures_dir().join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

pub fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/shiprocket")
}
