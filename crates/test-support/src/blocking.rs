//! Async work from `Drop`: on a thread of its own with its own runtime, so it runs whether the
//! test's runtime is current-thread, multi-thread, or unwinding from a panic.

use std::future::Future;

pub(crate) fn run<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> std::thread::Result<T> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for cleanup")
            .block_on(work)
    })
    .join()
}
