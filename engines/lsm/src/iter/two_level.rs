//! Two-level cursor (being written).
