//! In-memory storage adapters (feature `testing`).
