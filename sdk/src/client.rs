//! The application's handle: typed getters that evaluate locally, the cohort helper,
//! status and events, and `close`.
//!
//! Evaluation loads the current snapshot (an `ArcSwap` load), calls
//! `rollgate_core::evaluate` and bumps one exposure counter: it never blocks, never does
//! I/O, and allocates only for what it returns (a `String` value, `*_details`' variant).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rollgate_core::{Context, Evaluation, Reason, evaluate};
use serde_json::Value;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::ErrorKind;
use crate::builder::ClientBuilder;
use crate::shared::Shared;
use crate::status::{ClientEvent, Status};

/// A value with how it was chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct Details<T> {
    /// The flag's value, or the caller's default on error.
    pub value: T,
    /// The variant served (`None` on error).
    pub variant: Option<String>,
    /// Why (OpenFeature's reasons; `Error` on error).
    pub reason: Reason,
    /// What went wrong.
    pub error: Option<ErrorKind>,
    /// Human detail of the error.
    pub error_message: Option<String>,
}

impl<T> Details<T> {
    fn failed(value: T, error: ErrorKind, message: impl Into<String>) -> Details<T> {
        Details {
            value,
            variant: None,
            reason: Reason::Error,
            error: Some(error),
            error_message: Some(message.into()),
        }
    }
}

/// The Rollgate client: clone it freely (clones share one ruleset and one connection).
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) stop: watch::Sender<bool>,
    pub(crate) tasks: Mutex<Vec<JoinHandle<()>>>,
    pub(crate) report: Option<crate::sync::Reporter>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in self
            .tasks
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            task.abort();
        }
    }
}

impl Client {
    /// A builder for a client of the server at `base_url` (e.g. `http://127.0.0.1:8070`)
    /// with `sdk_key` (`rg_sdk_…`).
    pub fn builder(base_url: impl Into<String>, sdk_key: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url.into(), sdk_key.into())
    }

    /// Evaluates `flag` and hands the outcome to `read`; counts the exposure.
    #[inline]
    fn with_evaluation<R>(
        &self,
        flag: &str,
        context: &Context,
        count: bool,
        read: impl FnOnce(Option<&Evaluation<'_>>) -> R,
    ) -> R {
        if !self
            .inner
            .shared
            .ready
            .load(std::sync::atomic::Ordering::Acquire)
        {
            return read(None);
        }
        let loaded = self.inner.shared.loaded.load();
        let evaluation = evaluate(&loaded.snapshot, flag, context);
        if count {
            loaded.counters.count(&evaluation);
        }
        read(Some(&evaluation))
    }

    fn details<T>(
        &self,
        flag: &str,
        context: &Context,
        default: T,
        convert: impl FnOnce(&Value) -> Option<T>,
    ) -> Details<T> {
        self.with_evaluation(flag, context, true, |evaluation| {
            let Some(evaluation) = evaluation else {
                return Details::failed(default, ErrorKind::NotReady, "no ruleset loaded yet");
            };
            if let Some(code) = evaluation.error {
                let message = evaluation
                    .error_details
                    .as_deref()
                    .unwrap_or("evaluation failed");
                return Details::failed(default, code, message);
            }
            match evaluation.value.and_then(convert) {
                Some(value) => Details {
                    value,
                    variant: evaluation.variant.map(str::to_owned),
                    reason: evaluation.reason,
                    error: None,
                    error_message: None,
                },
                None => Details::failed(
                    default,
                    ErrorKind::TypeMismatch,
                    format!("flag {flag:?} does not serve this type"),
                ),
            }
        })
    }

    fn value<T>(
        &self,
        flag: &str,
        context: &Context,
        default: T,
        convert: impl FnOnce(&Value) -> Option<T>,
    ) -> T {
        self.with_evaluation(flag, context, true, |evaluation| {
            evaluation
                .filter(|e| e.error.is_none())
                .and_then(|e| e.value)
                .and_then(convert)
                .unwrap_or(default)
        })
    }

    /// A boolean flag's value, or `default`.
    #[inline]
    pub fn bool_value(&self, flag: &str, context: &Context, default: bool) -> bool {
        self.value(flag, context, default, Value::as_bool)
    }

    /// A string flag's value, or `default`.
    pub fn string_value(&self, flag: &str, context: &Context, default: &str) -> String {
        self.value(flag, context, default.to_owned(), |v| {
            v.as_str().map(str::to_owned)
        })
    }

    /// An integer flag's value, or `default`.
    pub fn i64_value(&self, flag: &str, context: &Context, default: i64) -> i64 {
        self.value(flag, context, default, Value::as_i64)
    }

    /// A number flag's value (integers convert), or `default`.
    pub fn f64_value(&self, flag: &str, context: &Context, default: f64) -> f64 {
        self.value(flag, context, default, Value::as_f64)
    }

    /// Any flag's JSON value, or `default`.
    pub fn json_value(&self, flag: &str, context: &Context, default: Value) -> Value {
        self.value(flag, context, default, |v| Some(v.clone()))
    }

    /// [`Client::bool_value`] with variant, reason and error.
    pub fn bool_details(&self, flag: &str, context: &Context, default: bool) -> Details<bool> {
        self.details(flag, context, default, Value::as_bool)
    }

    /// [`Client::string_value`] with variant, reason and error.
    pub fn string_details(&self, flag: &str, context: &Context, default: &str) -> Details<String> {
        self.details(flag, context, default.to_owned(), |v| {
            v.as_str().map(str::to_owned)
        })
    }

    /// [`Client::i64_value`] with variant, reason and error.
    pub fn i64_details(&self, flag: &str, context: &Context, default: i64) -> Details<i64> {
        self.details(flag, context, default, Value::as_i64)
    }

    /// [`Client::f64_value`] with variant, reason and error.
    pub fn f64_details(&self, flag: &str, context: &Context, default: f64) -> Details<f64> {
        self.details(flag, context, default, Value::as_f64)
    }

    /// [`Client::json_value`] with variant, reason and error.
    pub fn json_details(&self, flag: &str, context: &Context, default: Value) -> Details<Value> {
        self.details(flag, context, default, |v| Some(v.clone()))
    }

    /// The label to put on the application's own request metrics (`variant="…"`) so
    /// canary analysis can split them by cohort: the variant `context` gets, or
    /// `"default"` when the flag cannot be evaluated (the application's default is in
    /// use). It does not count an exposure — the getter that decided did.
    pub fn cohort(&self, flag: &str, context: &Context) -> String {
        self.with_evaluation(flag, context, false, |evaluation| {
            evaluation
                .and_then(|e| e.variant)
                .unwrap_or("default")
                .to_owned()
        })
    }

    /// Keys of the flags configured in the environment.
    pub fn flag_keys(&self) -> Vec<String> {
        let loaded = self.inner.shared.loaded.load();
        loaded.snapshot.flag_keys().map(str::to_owned).collect()
    }

    /// The revision of the ruleset being served (0 before the first).
    pub fn revision(&self) -> u64 {
        *self.inner.shared.revision.borrow()
    }

    /// Where the client stands.
    pub fn status(&self) -> Status {
        self.inner.shared.status.borrow().clone()
    }

    /// Events from now on (ready, changed flags, stale, errors).
    pub fn events(&self) -> broadcast::Receiver<ClientEvent> {
        self.inner.shared.events.subscribe()
    }

    /// Waits until the ruleset served has revision `revision` or later (e.g. after a
    /// write through the admin API); false when `timeout` passes first.
    pub async fn wait_for_revision(&self, revision: u64, timeout: Duration) -> bool {
        let mut served = self.inner.shared.revision.subscribe();
        tokio::time::timeout(timeout, served.wait_for(|r| *r >= revision))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Waits until the status satisfies `done`; false when `timeout` passes first.
    pub async fn wait_for_status(&self, timeout: Duration, done: impl Fn(&Status) -> bool) -> bool {
        let mut status = self.inner.shared.status.subscribe();
        tokio::time::timeout(timeout, status.wait_for(|s| done(s)))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Reports the exposures counted so far now, instead of at the next interval.
    pub async fn flush(&self) -> Result<(), crate::Error> {
        match &self.inner.report {
            Some(reporter) => reporter.flush(&self.inner.shared).await,
            None => Ok(()),
        }
    }

    /// Stops syncing and reports the exposures counted so far. Getters keep serving the
    /// last ruleset.
    pub async fn close(&self) -> Result<(), crate::Error> {
        let _ = self.inner.stop.send(true);
        let tasks: Vec<JoinHandle<()>> = std::mem::take(
            &mut *self
                .inner
                .tasks
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for task in tasks {
            let _ = task.await;
        }
        self.inner.shared.status.send_replace(Status::Closed);
        self.flush().await
    }
}
