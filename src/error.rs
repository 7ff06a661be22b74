//! Errors that are the user's to fix (bad input, conflicts), as opposed to failures of the system.

use thiserror::Error;

/// A request ctnet refuses. The message says what is wrong and, where it helps, what to do.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{message}")]
pub struct UserError {
    pub message: String,
}

impl UserError {
    pub fn new(message: impl Into<String>) -> UserError {
        UserError {
            message: message.into(),
        }
    }
}

/// Returns early with a [`UserError`] built from a format string.
#[macro_export]
macro_rules! refuse {
    ($($arg:tt)*) => {
        return Err($crate::error::UserError::new(format!($($arg)*)).into())
    };
}
