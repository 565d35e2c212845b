//! iter (being written).
