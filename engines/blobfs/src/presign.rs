//! Permanodes signed ahead of need, on a background thread.
//!
//! A permanode carries no time and names nothing (its version, type,
//! random text and signer), so it can be signed before the mutation that
//! uses it. Creating a file or directory needs one fresh permanode and one
//! claim; signing the permanode is half of the ed25519 work of a create.
//! [`PermanodePool`] keeps up to [`POOL_DEPTH`] of them signed by a thread
//! of its own, started on first use, so that a mutation finds its
//! permanode ready and its signing runs on the second core.
//!
//! What a pooled permanode is, is exactly what an inline one is: the same
//! canonical JSON with 16 random bytes from the operating system's
//! generator (never reused: each is handed out once, through a channel),
//! signed by the same key. One never handed out is simply never written.
//! When the pool is empty, or its thread could not be started, the caller
//! signs inline ([`sign_permanode`]).

use crate::blob::BlobRef;
use crate::error::Result;
use crate::schema::{self, Permanode, CAMLI_VERSION, TYPE_PERMANODE};
use crate::sign::Signer;
use rand::RngCore;
use std::sync::mpsc::{sync_channel, Receiver, TryRecvError};
use std::sync::Mutex;
use std::thread::JoinHandle;

/// Signed permanodes kept ready. Enough to cover a burst of creates while
/// the thread catches up; each is about 300 bytes.
pub const POOL_DEPTH: usize = 64;

/// A signed permanode: its ref and the signed blob's bytes.
pub type SignedPermanode = (BlobRef, Vec<u8>);

/// A new permanode of `signer`, signed now.
///
/// # Errors
/// What [`Signer::sign`] or the canonical encoding returns (neither fails
/// for a permanode).
pub fn sign_permanode(signer: &Signer) -> Result<SignedPermanode> {
    let mut random = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut random);
    let pn = Permanode {
        camli_version: CAMLI_VERSION,
        camli_type: TYPE_PERMANODE.to_string(),
        random: hex::encode(random),
        camli_signer: signer.public_key_ref().to_string(),
    };
    let signed = signer.sign(&schema::to_canonical(&pn)?)?;
    Ok((BlobRef::of(&signed), signed))
}

/// The state of the pool's thread.
enum Worker {
    /// Not started yet (nothing asked for a permanode).
    Idle,
    /// Running; signed permanodes arrive here.
    Running(Receiver<SignedPermanode>, JoinHandle<()>),
    /// Could not be started or has stopped: sign inline from now on.
    Off,
}

/// Permanodes signed ahead by a background thread (see the module docs).
/// Dropping the pool stops its thread and waits for it (at most one
/// signature).
pub struct PermanodePool {
    worker: Mutex<Worker>,
}

impl std::fmt::Debug for PermanodePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PermanodePool")
    }
}

impl Default for PermanodePool {
    fn default() -> Self {
        Self::new()
    }
}

impl PermanodePool {
    /// A pool whose thread starts on the first [`PermanodePool::take`].
    pub fn new() -> Self {
        PermanodePool {
            worker: Mutex::new(Worker::Idle),
        }
    }

    /// A permanode of `signer` signed ahead, or `None` if none is ready
    /// (the caller then signs one inline). The first call starts the
    /// thread, which signs with a copy of `signer`'s key.
    pub fn take(&self, signer: &Signer) -> Option<SignedPermanode> {
        let mut worker = self
            .worker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &*worker {
            Worker::Idle => {
                *worker = start(signer);
                None
            }
            Worker::Running(rx, _) => match rx.try_recv() {
                Ok(signed) => Some(signed),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => {
                    *worker = Worker::Off;
                    None
                }
            },
            Worker::Off => None,
        }
    }
}

impl Drop for PermanodePool {
    fn drop(&mut self) {
        let worker = std::mem::replace(
            self.worker
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            Worker::Off,
        );
        if let Worker::Running(rx, handle) = worker {
            // Without a receiver the thread's next send fails and it
            // returns; a panic in it has nothing left to report.
            drop(rx);
            let _ = handle.join();
        }
    }
}

/// Starts the signing thread for `signer`'s key.
fn start(signer: &Signer) -> Worker {
    let (tx, rx) = sync_channel(POOL_DEPTH);
    let key = signer.duplicate();
    let spawned = std::thread::Builder::new()
        .name("blobfs-presign".into())
        .spawn(move || {
            // Ends when the pool (the receiver) is dropped, or if signing
            // ever failed (the pool then signs inline).
            while let Ok(signed) = sign_permanode(&key) {
                if tx.send(signed).is_err() {
                    break;
                }
            }
        });
    match spawned {
        Ok(handle) => Worker::Running(rx, handle),
        Err(_) => Worker::Off,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::{parse_public_key, verify_signed};
    use std::collections::HashSet;
    use std::time::{Duration, Instant};

    fn check(signer: &Signer, (r, blob): &SignedPermanode) -> String {
        assert_eq!(*r, BlobRef::of(blob), "the ref is the blob's hash");
        let key = parse_public_key(signer.public_key_blob()).expect("key");
        let payload = verify_signed(blob, &key).expect("signature verifies");
        let pn: Permanode = serde_json::from_slice(&payload).expect("permanode JSON");
        assert_eq!(pn.camli_type, TYPE_PERMANODE);
        assert_eq!(pn.camli_version, CAMLI_VERSION);
        assert_eq!(pn.camli_signer, signer.public_key_ref().to_string());
        assert_eq!(pn.random.len(), 32, "16 random bytes in hex");
        pn.random
    }

    #[test]
    fn pooled_permanodes_are_signed_unique_and_like_inline_ones() {
        let signer = Signer::from_secret([3u8; 32]);
        let pool = PermanodePool::new();
        assert!(pool.take(&signer).is_none(), "the first call starts it");
        let mut randoms = HashSet::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut pooled = 0;
        while pooled < 2 * POOL_DEPTH {
            match pool.take(&signer) {
                Some(signed) => {
                    assert!(randoms.insert(check(&signer, &signed)), "never reused");
                    pooled += 1;
                }
                None => {
                    assert!(Instant::now() < deadline, "the thread never delivered");
                    let inline = sign_permanode(&signer).expect("inline");
                    assert!(randoms.insert(check(&signer, &inline)), "never reused");
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }

    #[test]
    fn dropping_the_pool_stops_and_joins_its_thread() {
        let signer = Signer::from_secret([4u8; 32]);
        for _ in 0..3 {
            let pool = PermanodePool::new();
            assert!(pool.take(&signer).is_none());
            std::thread::sleep(Duration::from_millis(5));
            // Returns only once the thread has ended (a full channel or a
            // signature in progress): a thread that ignored the closed
            // channel would hang here.
            drop(pool);
        }
        let never_started = PermanodePool::new();
        drop(never_started);
        let pool = PermanodePool::new();
        assert!(pool.take(&signer).is_none());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(signed) = pool.take(&signer) {
                check(&signer, &signed);
                break;
            }
            assert!(Instant::now() < deadline, "the thread never delivered");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}
