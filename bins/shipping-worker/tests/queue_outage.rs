//! Redis goes away and comes back. An order accepted meanwhile waits in the outbox (the API
//! never needs the queue to accept it); the relay's pushes fail and the rows stay; once Redis
//! answers again the relay enqueues the job, once, and a worker runs it.
//!
//! The outage is real and private: this test starts its own `redis-server` on a free port and
//! kills it; the shared Redis is never touched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod queue_support;
mod store_support;

use queue_support::{Recorder, eventually, start};
use shipping_worker::queue::{QueueBackend, QueueConfig, Queues};
use shipping_worker::relay::relay_once;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use store_support::{Backend, fresh_store};

/// A `redis-server` of this test's own, killed when dropped.
struct PrivateRedis(Child);

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn redis_server(port: u16) -> PrivateRedis {
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server is installed (Debian package redis-server)");
    let server = PrivateRedis(child);
    let url = format!("redis://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(client) = redis::Client::open(url.as_str())
            && let Ok(mut conn) = client.get_multiplexed_async_connection().await
            && redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok()
        {
            return server;
        }
        assert!(Instant::now() < deadline, "redis-server on {port} never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_accepted_while_redis_is_down_is_enqueued_once_it_is_back() {
    let port = free_port();
    let server = redis_server(port).await;
    let cfg = QueueConfig {
        backend: QueueBackend::Redis { url: format!("redis://127.0.0.1:{port}"), namespace_prefix: "outage:".into() },
        base_backoff_ms: 0,
        ..QueueConfig::default()
    };
    let queues = Queues::connect(&cfg).await.unwrap();
    let (store, _, _db) = fresh_store(Backend::Sqlite).await;

    drop(server); // Redis dies.
    store_support::ingest(&store, "OUT-1", "560001", false).await;
    for _ in 0..3 {
        assert_eq!(relay_once(&store, &queues, 500, Duration::ZERO).await.unwrap(), 0, "nothing can be pushed");
    }
    assert_eq!(store.pending_outbox().await.unwrap(), 1, "the promised job is kept in the outbox");

    let _server = redis_server(port).await; // Redis is back, empty, on the same address.
    let deadline = Instant::now() + Duration::from_secs(20);
    while relay_once(&store, &queues, 500, Duration::ZERO).await.unwrap() == 0 {
        assert!(Instant::now() < deadline, "the relay never reconnected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(store.pending_outbox().await.unwrap(), 0);
    assert_eq!(relay_once(&store, &queues, 500, Duration::ZERO).await.unwrap(), 0, "pushed once");
    let waiting: u64 = queues.depth().await.unwrap().iter().map(|d| d.total()).sum();
    assert_eq!(waiting, 1);

    let handler = Recorder::ok();
    let running = start(&queues, handler.clone());
    assert!(eventually(Duration::from_secs(10), || handler.calls().len() == 1).await, "the job never ran");
    tokio::time::sleep(Duration::from_millis(500)).await;
    running.stop().await.unwrap();
    assert_eq!(handler.calls().len(), 1, "run once");
}
