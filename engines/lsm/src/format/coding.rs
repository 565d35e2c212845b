//! Varints, fixed-width little-endian integers and length-prefixed slices.
//!
//! They live (and are tested) in `strata-api` because `WriteBatch` needs
//! them; this module re-exports them so the engine's layers find every
//! format piece under [`crate::format`].

pub use strata_api::coding::*;
