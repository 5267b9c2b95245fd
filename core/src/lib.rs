//! Rollgate's evaluation core.
//!
//! Everything that decides *what a user gets* lives here, and nothing else does: the
//! model of flags and segments, the validation that turns a bad document into precise
//! errors, the compilation of an environment into an immutable [`Snapshot`], the
//! evaluation itself and the consistent-hash bucketing. What the server and the SDK say to
//! each other is defined here once as well: OpenFeature's reasons and error codes
//! ([`ofrep`]) and the messages of SDK sync ([`protocol`]).
//!
//! The crate is pure: it does no I/O, reads no clock, draws no random numbers and has no
//! async runtime. Time and observations come in as arguments, so the server and the SDK
//! run the very same code and get the very same answers.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "unit tests fail loudly on a broken fixture"
    )
)]

pub mod analysis;
pub mod bucket;
pub mod compile;
pub mod context;
pub mod evaluate;
pub mod flagd;
pub mod key;
pub mod model;
pub mod ofrep;
pub mod protocol;
pub mod release;
pub mod slots;
pub mod validate;

pub use compile::{Compiled, Snapshot, Source, compile, recompile};
pub use context::Context;
pub use evaluate::{Evaluation, evaluate};
pub use ofrep::{ErrorCode, Reason};
pub use slots::Slots;
pub use validate::{FieldError, ParseError};
