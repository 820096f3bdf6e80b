//! Kill points for the crash tests: `failpoint!("sync_order.after_commit")` marks a step
//! boundary. With the `failpoints` feature and `FAILPOINTS=sync_order.after_commit=return` in
//! the environment (the `fail` crate's syntax), the process SIGKILLs itself there, exactly as a
//! node dying at that instant would. Without the feature the macro is nothing.

/// Ends this process with SIGKILL (no destructors, no flush: a crash).
#[cfg(feature = "failpoints")]
pub fn kill_self(point: &str) -> ! {
    eprintln!("failpoint {point}: SIGKILL");
    let _ = std::process::Command::new("kill").args(["-9", &std::process::id().to_string()]).status();
    std::process::abort()
}

/// Marks a step boundary that the crash tests can kill the process at.
#[macro_export]
macro_rules! failpoint {
    ($name:literal) => {
        #[cfg(feature = "failpoints")]
        fail::fail_point!($name, |_| { $crate::failpoint::kill_self($name) });
    };
}

/// Every kill point, for the crash test's table.
pub const POINTS: &[&str] = &[
    "sync_order.before_commit",
    "sync_order.after_commit",
    "assign_awb.before_commit",
    "assign_awb.after_commit",
    "generate_label.before_commit",
    "generate_label.after_commit",
    "schedule_pickup.before_commit",
    "schedule_pickup.after_commit",
    "send_notification.before_commit",
    "send_notification.after_commit",
    "apply_webhook.before_commit",
    "apply_webhook.after_commit",
    "refresh_tracking.before_commit",
    "refresh_tracking.after_commit",
    "cancel_shipment.before_commit",
    "cancel_shipment.after_commit",
];
