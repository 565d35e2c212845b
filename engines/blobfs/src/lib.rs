//! blobfs (being written).
