//! LevelDB's `char* errptr` convention turned into strata errors.

use super::ffi;
use libc::c_char;
use std::ffi::CStr;
use strata_api::Error;

/// A slot for the C API's error out-parameter. It starts NULL; whatever
/// message LevelDB leaves in it is freed when the slot drops.
pub(crate) struct ErrorSlot {
    message: *mut c_char,
}

impl ErrorSlot {
    /// An empty slot.
    pub(crate) fn new() -> Self {
        ErrorSlot {
            message: std::ptr::null_mut(),
        }
    }

    /// The `char**` to pass as `errptr`.
    pub(crate) fn as_errptr(&mut self) -> *mut *mut c_char {
        &mut self.message
    }

    /// `Ok` if LevelDB left no message, else the message as an [`Error`]
    /// about the database in `dir`.
    pub(crate) fn check(self, dir: &str) -> strata_api::Result<()> {
        if self.message.is_null() {
            return Ok(());
        }
        // SAFETY: LevelDB sets `errptr` only to a malloc'd NUL-terminated
        // string, which stays alive until `self` drops.
        let text = unsafe { CStr::from_ptr(self.message) }
            .to_string_lossy()
            .into_owned();
        Err(map_message(dir, text))
    }
}

impl Drop for ErrorSlot {
    fn drop(&mut self) {
        if !self.message.is_null() {
            // SAFETY: the message was malloc'd by LevelDB and is freed once.
            unsafe { ffi::leveldb_free(self.message.cast()) };
        }
    }
}

/// Maps a LevelDB `Status::ToString()` text to a strata error by its prefix.
/// LevelDB does not report an offset, so corruption points at the database
/// directory, offset 0, with LevelDB's message as the reason.
pub(crate) fn map_message(dir: &str, text: String) -> Error {
    if text.starts_with("Corruption") {
        Error::corruption(dir, 0, text)
    } else if text.starts_with("Invalid argument") {
        Error::InvalidArgument(text)
    } else if text.starts_with("NotFound") || text.starts_with("Not found") {
        Error::NotFound(text)
    } else {
        Error::io(dir, std::io::Error::other(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_map_by_prefix() {
        let e = map_message("db", "Corruption: bad block".into());
        assert!(e.is_corruption(), "{e}");
        assert!(e.to_string().contains("bad block"), "{e}");
        let e = map_message("db", "IO error: lock db/LOCK: already held".into());
        assert!(matches!(e, Error::Io { .. }), "{e}");
        let e = map_message("db", "Invalid argument: db: does not exist".into());
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
        let e = map_message("db", "NotFound: x".into());
        assert!(matches!(e, Error::NotFound(_)), "{e}");
    }

    #[test]
    fn an_empty_slot_is_ok() {
        assert!(ErrorSlot::new().check("db").is_ok());
    }
}
