//! The embedded store (redb): one file in the data directory, fsync on every commit.
