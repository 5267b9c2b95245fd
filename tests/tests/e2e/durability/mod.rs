//! Nothing acknowledged is lost when the process ends: a SIGKILL mid-write, a graceful
//! restart, and SIGTERM with a request in flight.

mod crash;
mod restart;
mod shutdown;
