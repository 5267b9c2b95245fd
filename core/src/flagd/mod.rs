//! flagd flag definitions in and out: the way in for teams leaving flagd, and the way
//! back, so that trying Rollgate burns no bridge.
//!
//! [`import`] turns a flagd flag-definition file into Rollgate flags (configured in one
//! environment) and segments (from shared evaluators that are plain conditions), or into
//! the list of everything in the file Rollgate cannot state — each with its flag and
//! JSON path — and then into nothing at all. [`export`] writes an environment's flags
//! as a flagd file, leaving out (and reporting) the flags flagd cannot state.
//!
//! Both are pure, like the rest of the core: bytes and documents in, documents and
//! findings out. The server writes an import in one commit (`--dry-run` shows it
//! instead); the mapping, with what is refused and why, is in docs/flagd.md.
//!
//! The layout follows the translation: `document` reads the file, `logic` the
//! JsonLogic targeting (with `compare`, `semver` and `fractional` for the operators),
//! `dnf` brings conditions into the AND-of-conditions form of Rollgate rules, `rules`
//! lays a flag's targeting out as ordered rules, `import` checks and assembles.

mod catalog;
mod compare;
mod dnf;
mod document;
mod export;
mod finding;
mod fractional;
mod import;
mod logic;
mod rules;
mod semver;

pub use catalog::{CatalogView, Documents};
pub use document::{MAX_FILE_BYTES, MAX_FLAGS};
pub use export::{Exported, FLAGD_SCHEMA, export};
pub use finding::Finding;
pub use import::{ImportOptions, Imported, Written, import};
pub use logic::{MAX_DEPTH, MAX_OPERATIONS};
