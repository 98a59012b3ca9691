//! The web crate's tests: handlers through `tower::ServiceExt::oneshot`, one over a real
//! socket, end-to-end in headless Chromium, and axe-core's accessibility rules on every kind of
//! page. (`cfg(test)` on the modules lets their helpers unwrap, as clippy.toml allows in tests.)

#[cfg(test)]
mod a11y;
#[cfg(test)]
mod browser;
#[cfg(test)]
mod desk;
#[cfg(test)]
mod desk_browser;
#[cfg(test)]
mod desk_mutations;
#[cfg(test)]
mod handlers;
#[cfg(test)]
#[path = "support/http.rs"]
mod http;
#[cfg(test)]
mod log;
#[cfg(test)]
mod lookup_lane_js;
#[cfg(test)]
mod precompress;
#[cfg(test)]
mod socket;
#[cfg(test)]
mod support;
