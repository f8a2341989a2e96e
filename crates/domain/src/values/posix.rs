//! POSIX user and group ids.

use super::Violation;

/// A POSIX uid or gid: 0 ≤ n ≤ 4294967295.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PosixId(u32);

/// Why a POSIX id was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PosixIdError {
    /// Below zero.
    #[error("must be greater than or equal to 0")]
    Negative,
    /// Above 4294967295.
    #[error("must be less than or equal to 4294967295")]
    TooLarge,
}

impl From<PosixIdError> for Violation {
    fn from(e: PosixIdError) -> Self {
        match e {
            PosixIdError::Negative => Violation::TooSmall { min: 0 },
            PosixIdError::TooLarge => Violation::TooLarge {
                max: i64::from(u32::MAX),
            },
        }
    }
}

impl PosixId {
    /// Checks the range.
    ///
    /// # Errors
    /// [`PosixIdError`] when out of range.
    pub fn new(raw: i64) -> Result<Self, PosixIdError> {
        if raw < 0 {
            return Err(PosixIdError::Negative);
        }
        u32::try_from(raw)
            .map(Self)
            .map_err(|_| PosixIdError::TooLarge)
    }

    /// The id.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for PosixId {
    fn from(v: u32) -> Self {
        Self(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_range() {
        assert_eq!(PosixId::new(0).unwrap().get(), 0);
        assert_eq!(PosixId::new(4_294_967_295).unwrap().get(), u32::MAX);
        assert_eq!(PosixId::new(-1), Err(PosixIdError::Negative));
        assert_eq!(PosixId::new(4_294_967_296), Err(PosixIdError::TooLarge));
        assert_eq!(
            Violation::from(PosixIdError::TooLarge).count(),
            Some(4_294_967_295)
        );
    }
}
