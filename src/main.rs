//! The `ecommerce` command line.
fn main() {}
