//! The web crate's tests: handlers through `tower::ServiceExt::oneshot`, one over a real
//! socket, and end-to-end in headless Chromium. (`cfg(test)` on the modules lets their helpers
//! unwrap, as clippy.toml allows in tests.)

#[cfg(test)]
mod browser;
#[cfg(test)]
mod handlers;
#[cfg(test)]
#[path = "support/http.rs"]
mod http;
#[cfg(test)]
mod log;
#[cfg(test)]
mod socket;
#[cfg(test)]
mod support;
