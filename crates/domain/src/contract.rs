//! The storage port contract kit (feature `testing`).
