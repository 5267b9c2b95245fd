//! The background tasks: work that happens without a request. Each runs until the
//! server stops, runs on one replica at a time (the holder of its [`lease`], which
//! fences every write it makes), keeps nothing that matters in memory (a restart, or
//! another replica, picks up from the store), sleeps until it is next due or nudged by
//! [`crate::infra::wake`], and acts through the same services as people do — so its
//! writes are validated, versioned and audited like theirs, and it reacts to their
//! errors by cause, never by message.

pub(crate) mod controller;
pub(crate) mod lease;
pub(crate) mod report_writer;
pub(crate) mod scheduler;
pub(crate) mod webhook_sender;
