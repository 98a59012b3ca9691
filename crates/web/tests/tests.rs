//! The web crate's tests: handlers through `tower::ServiceExt::oneshot`, one over a real
//! socket, and end-to-end in headless Chromium.

mod browser;
mod handlers;
mod socket;
mod support;
