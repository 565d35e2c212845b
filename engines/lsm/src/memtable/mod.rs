//! memtable (being written).
