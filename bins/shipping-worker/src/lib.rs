//! `shipping-worker`: runs every job that talks to Shiprocket.

pub mod queue;
