//! The scripted in-memory router the core's tests share with the integration tests: bytes
//! queued by the test (or produced by a responder from each sentence the client writes),
//! written bytes recorded, and a link that can go silent (reads pend forever, as on a dead
//! peer that sent no FIN or RST). See the `routeros-test-support` crate.
#![allow(unused_imports)]

pub use routeros_test_support::*;
