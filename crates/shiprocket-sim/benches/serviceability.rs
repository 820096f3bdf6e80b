//! `make bench`: how many serviceability requests per second the simulator serves with
//! keep-alive, printed beside a plain axum "hello" handler measured in the same run, so the
//! simulator is known never to be the bottleneck of other benchmarks. Asserts nothing.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use shiprocket_sim::{SimConfig, Simulator};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 32;
const SECONDS: u64 = 3;

/// Requests per second over `SECONDS`, from `CONNECTIONS` keep-alive callers.
async fn hammer(url: String, bearer: Option<String>) -> f64 {
    let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, url, bearer, done) = (client.clone(), url.clone(), bearer.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let mut req = client.get(&url);
                    if let Some(b) = &bearer {
                        req = req.bearer_auth(b);
                    }
                    let resp = req.send().await.unwrap();
                    assert!(resp.status().is_success());
                    resp.bytes().await.unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let hello = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hello_url = format!("http://{}/", hello.local_addr().unwrap());
        tokio::spawn(async move {
            let app = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
            axum::serve(hello, app).await.unwrap();
        });

        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        let login: serde_json::Value = reqwest::Client::new()
            .post(format!("{}auth/login", sim.base_url()))
            .json(&serde_json::json!({"email": "bench@example.in", "password": "x"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().unwrap().to_owned();
        let rates_url = format!(
            "{}courier/serviceability/?pickup_postcode=411013&delivery_postcode=560001&weight=1.2&cod=1&declared_value=1499",
            sim.base_url()
        );

        let reference = hammer(hello_url, None).await;
        let rates = hammer(rates_url, Some(token)).await;
        println!("simulator throughput, {CONNECTIONS} keep-alive connections, {SECONDS} s each, load generator in the same process");
        println!("  axum hello (reference)        : {reference:>9.0} req/s");
        println!("  serviceability (simulator)    : {rates:>9.0} req/s");
        println!("  ratio serviceability / hello  : {:>9.2}", rates / reference);
        println!("  target >= 20000 req/s         : {}", if rates >= 20_000.0 { "met" } else { "NOT met on this machine" });
    });
}
