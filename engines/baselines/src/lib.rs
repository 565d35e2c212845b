//! Baseline engines (being written).
