//! format (being written).
