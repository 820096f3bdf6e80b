//! `make bench`: decoding a serviceability answer with 60 couriers through the client's
//! tolerant decoder, against decoding the same bytes into a plain `serde_json::Value` in the
//! same run. Prints decodes per second and the ratio; asserts nothing about time.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use serde_json::Value;
use shiprocket_client::endpoints::serviceability::CheckServiceability;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn sixty_courier_body() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/shiprocket/serviceability_response.json");
    let mut doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let template = doc["data"]["available_courier_companies"].as_array().unwrap().clone();
    let couriers: Vec<Value> = (0..60)
        .map(|i| {
            let mut c = template[i % template.len()].clone();
            c["courier_company_id"] = Value::from(100 + i);
            c["id"] = Value::from(459_000_100 + i);
            c["rate"] = Value::from(60.0 + i as f64 * 1.5);
            c["estimated_delivery_days"] = Value::from((2 + i % 6).to_string());
            c
        })
        .collect();
    doc["data"]["available_courier_companies"] = Value::Array(couriers);
    serde_json::to_vec(&doc).unwrap()
}

/// Runs `f` repeatedly for about `budget` and returns calls per second.
fn per_second(budget: Duration, mut f: impl FnMut()) -> f64 {
    for _ in 0..50 {
        f();
    }
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < budget {
        for _ in 0..20 {
            f();
        }
        n += 20;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let body = sixty_courier_body();
    let request = CheckServiceability::parcel("411001", "560001", 0.5, true, 998.0);
    let decoded = shiprocket_client::interpret(&request, 200, None, &body).unwrap();
    assert_eq!(decoded.couriers.len(), 60);

    let budget = Duration::from_secs(2);
    let reference = per_second(budget, || {
        black_box(serde_json::from_slice::<Value>(black_box(&body)).unwrap());
    });
    let typed = per_second(budget, || {
        black_box(shiprocket_client::interpret(&request, 200, None, black_box(&body)).unwrap());
    });

    println!("serviceability, 60 couriers, {} bytes", body.len());
    println!("  serde_json::Value (reference): {reference:>10.0} decodes/s");
    println!("  shiprocket-client (typed)    : {typed:>10.0} decodes/s");
    println!("  ratio typed / reference      : {:>10.2}", typed / reference);
}
