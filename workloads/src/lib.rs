//! workloads (being written).
