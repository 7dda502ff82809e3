//! No code: see this crate's Cargo.toml. Its dependencies give every deploy binary the same
//! third-party features, so `sam build`'s per-binary cargo runs share their compiled
//! dependencies.
