//! The retry policy end to end: exact numbers of handler calls and dead-letters, whatever apalis
//! would do on its own (apalis-redis re-schedules failed tasks up to 25 times).
#![allow(clippy::unwrap_used)]

mod queue_support;

use queue_support::{Backend, Recorder, eventually, order, start, with_env};
use shipping_worker::queue::{JobFailure, RetryClass};
use std::time::Duration;

const RETRY_TWICE: i64 = 1;
const RETRY_FOREVER: i64 = 2;
const PERMANENT: i64 = 3;
const RETRY_AFTER: i64 = 4;
const PANICS_ONCE: i64 = 5;

fn retry(reason: &str) -> Result<(), JobFailure> {
    Err(JobFailure::retry(reason))
}

async fn the_policy_decides_every_call(backend: Backend) {
    with_env(backend, "retry", |env| async move {
        let max = env.cfg.max_attempts;
        assert_eq!(max, 4);
        let queues = env.queues().await;
        let handler = Recorder::new(|id, attempt| match id {
            RETRY_TWICE if attempt <= 2 => retry("503"),
            RETRY_FOREVER => retry("still 503"),
            PERMANENT => Err(JobFailure::Permanent { reason: "pincode not serviceable".into() }),
            RETRY_AFTER if attempt == 1 => Err(JobFailure::Retry {
                after: Some(Duration::from_secs(1)),
                reason: "429".into(),
                class: RetryClass::RateLimited,
            }),
            PANICS_ONCE if attempt == 1 => panic!("handler bug"),
            _ => Ok(()),
        });
        for id in [RETRY_TWICE, RETRY_FOREVER, PERMANENT, RETRY_AFTER, PANICS_ONCE] {
            queues.push(&order(id)).await.unwrap();
        }
        let running = start(&queues, handler.clone());
        let settled = eventually(Duration::from_secs(15), || {
            handler.calls_of(RETRY_TWICE).len() >= 3
                && handler.deads().len() >= 2
                && handler.calls_of(RETRY_AFTER).len() >= 2
                && handler.calls_of(PANICS_ONCE).len() >= 2
        })
        .await;
        assert!(settled, "calls so far: {:?}, deads: {:?}", handler.calls(), handler.deads());
        // apalis-redis would re-schedule a failed task 1 s, 2 s… later: give it the chance to.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        running.stop().await.unwrap();

        let attempts = |id| handler.calls_of(id).iter().map(|c| c.attempt).collect::<Vec<_>>();
        assert_eq!(attempts(RETRY_TWICE), [1, 2, 3], "retry twice then ok: exactly 3 calls");
        assert_eq!(attempts(RETRY_FOREVER), (1..=max).collect::<Vec<_>>(), "retry forever: max_attempts calls");
        assert_eq!(attempts(PERMANENT), [1], "permanent: one call");
        assert_eq!(attempts(PANICS_ONCE), [1, 2], "a panic is retried like Retry");

        let mut deads = handler.deads();
        deads.sort_by_key(|d| d.id);
        assert_eq!(deads.len(), 2, "dead exactly once each: {deads:?}");
        assert_eq!((deads[0].id, deads[0].attempts), (RETRY_FOREVER, max));
        assert!(deads[0].error.contains("still 503"), "{}", deads[0].error);
        assert_eq!(
            (deads[1].id, deads[1].attempts, deads[1].error.as_str()),
            (PERMANENT, 1, "pincode not serviceable")
        );

        let after = handler.calls_of(RETRY_AFTER);
        assert_eq!(after.len(), 2);
        let waited = after[1].at - after[0].at;
        assert!(waited >= Duration::from_secs(1), "Retry{{after: 1s}} ran again after only {waited:?}");

        let depths = queues.depth().await.unwrap();
        assert!(depths.iter().all(|d| d.total() == 0), "nothing re-scheduled: {depths:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_the_policy_decides_every_call() {
    the_policy_decides_every_call(Backend::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_policy_decides_every_call() {
    the_policy_decides_every_call(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_backoff_without_after_waits_the_base_delay() {
    with_env(Backend::Redis, "backoff", |env| async move {
        let mut cfg = env.cfg.clone();
        cfg.base_backoff_ms = 1000;
        let queues = shipping_worker::queue::Queues::connect(&cfg).await.unwrap();
        let handler = Recorder::new(|_, attempt| if attempt == 1 { retry("reset") } else { Ok(()) });
        queues.push(&order(9)).await.unwrap();
        let running = start(&queues, handler.clone());
        assert!(eventually(Duration::from_secs(10), || handler.calls().len() >= 2).await);
        running.stop().await.unwrap();
        let calls = handler.calls();
        assert!(calls[1].at - calls[0].at >= Duration::from_secs(1), "backoff of 1 s not honoured");
    })
    .await;
}
