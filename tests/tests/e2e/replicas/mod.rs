//! Several replicas on one Redis: one store, one change feed, one leader per
//! background task — and outages of Redis, of a replica and of the link between them.

mod feed;
mod leaders;
mod moving;
mod outage;
mod propagation;
pub mod support;
