//! Contract kit.
