//! OFREP (`/ofrep/v1/`): single and bulk evaluation, its error answers, rollouts as
//! users see them, and the real OpenFeature Python SDK as a client.

mod bulk;
mod errors;
mod evaluate;
mod openfeature_python;
mod rollout;
