//! The `Env` a mounted store's engine runs on: tables read with `pread`,
//! never mapped (see [`strata_blobfs::pread_env`], where it lives so that
//! `strata fs verify` and `reindex` use it too).

pub use strata_blobfs::pread_env::PreadEnv;
