//! POSIX error numbers for blobfs errors.

use fuser::Errno;
use strata_blobfs::FsError;

/// The errno a FUSE reply carries for `e`.
///
/// The tree's own refusals map one to one (`NotFound` → `ENOENT`, ...);
/// a malformed request (`Usage`, such as moving a directory into itself,
/// or a `BadTime`) is `EINVAL`; an operating-system error keeps its own
/// number (`ENOSPC` stays `ENOSPC`); corruption and anything else is `EIO`.
pub(crate) fn errno_of(e: &FsError) -> Errno {
    match e {
        FsError::NotFound(_) => Errno::ENOENT,
        FsError::NotADirectory(_) => Errno::ENOTDIR,
        FsError::IsADirectory(_) => Errno::EISDIR,
        FsError::DirectoryNotEmpty(_) => Errno::ENOTEMPTY,
        FsError::AlreadyExists(_) => Errno::EEXIST,
        FsError::Usage(_) | FsError::BadTime(_) => Errno::EINVAL,
        FsError::Engine(strata_api::Error::InvalidArgument(_)) => Errno::EINVAL,
        FsError::Engine(strata_api::Error::Io { source, .. }) => {
            Errno::from_i32(source.raw_os_error().unwrap_or(libc::EIO))
        }
        _ => Errno::EIO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_has_its_posix_number() {
        let cases = [
            (FsError::NotFound("x".into()), Errno::ENOENT),
            (FsError::NotADirectory("x".into()), Errno::ENOTDIR),
            (FsError::IsADirectory("x".into()), Errno::EISDIR),
            (FsError::DirectoryNotEmpty("x".into()), Errno::ENOTEMPTY),
            (FsError::AlreadyExists("x".into()), Errno::EEXIST),
            (FsError::Usage("x".into()), Errno::EINVAL),
            (FsError::BadTime("x".into()), Errno::EINVAL),
            (FsError::corruption("blob", "bad"), Errno::EIO),
        ];
        for (e, want) in cases {
            assert_eq!(errno_of(&e), want, "{e}");
        }
        let no_space = FsError::io("f", std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert_eq!(errno_of(&no_space), Errno::from_i32(libc::ENOSPC));
    }
}
