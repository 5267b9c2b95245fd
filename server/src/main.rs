//! The `rollgate` binary.

fn main() {}
