//! Signed schema blobs (permanodes and claims) with ed25519.
//!
//! A signed blob is the canonical JSON of the unsigned value (see
//! [`crate::schema`]) with its closing `}` replaced by
//! `,"camliSig":"<signature>"}`, where the signature is the 64-byte ed25519
//! signature of the canonical JSON bytes (closing `}` included, `camliSig`
//! absent), written as 128 lowercase hex digits. This follows the shape of
//! Perkeep's signed JSON, but it is **not** Perkeep's format: Perkeep signs
//! with OpenPGP and stores an ASCII-armored detached signature, and its
//! `camliSigner` names an armored OpenPGP key; here `camliSigner` names an
//! `ed25519-public-key` schema blob.
//!
//! To verify, the last `,"camliSig":"` is located; the bytes before it plus
//! `}` are the signed payload, and only the payload is ever parsed, so what
//! is interpreted is exactly what was signed.

use crate::blob::BlobRef;
use crate::error::{FsError, Result};
use crate::schema::{self, PublicKey, CAMLI_VERSION, TYPE_PUBLIC_KEY};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use std::io::Write;
use std::path::Path;

/// The marker between payload and signature.
pub const SIG_MARKER: &[u8] = b",\"camliSig\":\"";
/// Hex digits of a signature.
pub const SIG_HEX_BYTES: usize = 128;

/// A store's signing identity: an ed25519 key and its public-key blob.
pub struct Signer {
    key: SigningKey,
    public_key_blob: Vec<u8>,
    public_key_ref: BlobRef,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "Signer({})", self.public_key_ref)
    }
}

impl Signer {
    /// A new random key (from the operating system's generator).
    pub fn generate() -> Self {
        Self::from_secret(SigningKey::generate(&mut rand::rngs::OsRng).to_bytes())
    }

    /// The signer with secret key `secret`.
    pub fn from_secret(secret: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&secret);
        let public = PublicKey {
            camli_version: CAMLI_VERSION,
            camli_type: TYPE_PUBLIC_KEY.to_string(),
            public_key: hex::encode(key.verifying_key().to_bytes()),
        };
        // Encoding a struct of strings cannot fail; fall back to the same
        // bytes by hand rather than panic.
        let public_key_blob = schema::to_canonical(&public).unwrap_or_else(|_| {
            format!(
                "{{\"camliVersion\":1,\"camliType\":\"{TYPE_PUBLIC_KEY}\",\"publicKey\":\"{}\"}}",
                public.public_key
            )
            .into_bytes()
        });
        let public_key_ref = BlobRef::of(&public_key_blob);
        Signer {
            key,
            public_key_blob,
            public_key_ref,
        }
    }

    /// Creates a new key and writes its secret to `path` as 64 hex digits
    /// and a newline, with mode 0600 on Unix.
    ///
    /// # Errors
    /// `AlreadyExists` if `path` exists; `Io` if it cannot be written.
    pub fn create_file(path: &Path) -> Result<Self> {
        let signer = Self::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                FsError::AlreadyExists(format!("signer key {}", path.display()))
            } else {
                FsError::io(path, e)
            }
        })?;
        let text = format!("{}\n", hex::encode(signer.key.to_bytes()));
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| FsError::io(path, e))?;
        Ok(signer)
    }

    /// Loads the key [`Signer::create_file`] wrote.
    ///
    /// # Errors
    /// `NotFound` if `path` does not exist; `Io`; `Corruption` if it does
    /// not hold 64 hex digits.
    pub fn load_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                FsError::NotFound(format!("signer key {} (run init first)", path.display()))
            } else {
                FsError::io(path, e)
            }
        })?;
        let mut secret = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut secret).map_err(|_| {
            FsError::corruption(
                path.display().to_string(),
                "signer key is not 64 hex digits",
            )
        })?;
        Ok(Self::from_secret(secret))
    }

    /// A second signer with the same key (for a thread that signs ahead,
    /// [`crate::presign::PermanodePool`]).
    pub fn duplicate(&self) -> Self {
        Signer {
            key: self.key.clone(),
            public_key_blob: self.public_key_blob.clone(),
            public_key_ref: self.public_key_ref,
        }
    }

    /// The ref of the public-key blob (the `camliSigner` of what this key
    /// signs).
    pub fn public_key_ref(&self) -> BlobRef {
        self.public_key_ref
    }

    /// The public-key blob's bytes (to be stored beside what it signs).
    pub fn public_key_blob(&self) -> &[u8] {
        &self.public_key_blob
    }

    /// Signs canonical JSON `payload`, returning the signed blob's bytes.
    ///
    /// # Errors
    /// `Usage` if `payload` is not a non-empty JSON object's text.
    pub fn sign(&self, payload: &[u8]) -> Result<Vec<u8>> {
        if payload.len() < 3 || payload.first() != Some(&b'{') || payload.last() != Some(&b'}') {
            return Err(FsError::Usage(
                "only a non-empty JSON object can be signed".into(),
            ));
        }
        let signature = self.key.sign(payload);
        let mut blob = payload[..payload.len() - 1].to_vec();
        blob.extend_from_slice(SIG_MARKER);
        blob.extend_from_slice(hex::encode(signature.to_bytes()).as_bytes());
        blob.extend_from_slice(b"\"}");
        Ok(blob)
    }
}

/// Splits a signed blob into its signed payload and signature.
///
/// # Errors
/// A reason string if the blob does not have the signed shape.
pub fn split_signed(blob: &[u8]) -> std::result::Result<(Vec<u8>, Signature), String> {
    let at = blob
        .windows(SIG_MARKER.len())
        .rposition(|w| w == SIG_MARKER)
        .ok_or("no camliSig")?;
    let tail = &blob[at + SIG_MARKER.len()..];
    if tail.len() != SIG_HEX_BYTES + 2 || &tail[SIG_HEX_BYTES..] != b"\"}" {
        return Err("camliSig is not 128 hex digits closing the object".into());
    }
    let mut sig = [0u8; 64];
    hex::decode_to_slice(&tail[..SIG_HEX_BYTES], &mut sig)
        .map_err(|_| "camliSig is not hex".to_string())?;
    let mut payload = blob[..at].to_vec();
    payload.push(b'}');
    Ok((payload, Signature::from_bytes(&sig)))
}

/// Verifies signed blob `blob` against `key` and returns the payload.
///
/// # Errors
/// A reason string if the shape is wrong or the signature does not verify.
pub fn verify_signed(blob: &[u8], key: &VerifyingKey) -> std::result::Result<Vec<u8>, String> {
    let (payload, signature) = split_signed(blob)?;
    key.verify_strict(&payload, &signature)
        .map_err(|_| "signature does not verify".to_string())?;
    Ok(payload)
}

/// Parses an `ed25519-public-key` blob.
///
/// # Errors
/// A reason string if `data` is not one.
pub fn parse_public_key(data: &[u8]) -> std::result::Result<VerifyingKey, String> {
    let pk: PublicKey =
        serde_json::from_slice(data).map_err(|e| format!("bad public-key JSON: {e}"))?;
    if pk.camli_version != CAMLI_VERSION || pk.camli_type != TYPE_PUBLIC_KEY {
        return Err(format!("not an {TYPE_PUBLIC_KEY} blob"));
    }
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(&pk.public_key, &mut bytes)
        .map_err(|_| "publicKey is not 64 hex digits".to_string())?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "publicKey is not a valid ed25519 point".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_rejects_changes() {
        let signer = Signer::from_secret([7u8; 32]);
        let key = parse_public_key(signer.public_key_blob()).expect("key");
        let payload = br#"{"camliVersion":1,"camliType":"claim","value":"x"}"#;
        let blob = signer.sign(payload).expect("sign");
        assert!(
            blob.starts_with(br#"{"camliVersion":1,"camliType":"claim","value":"x","camliSig":""#)
        );
        let back = verify_signed(&blob, &key).expect("verifies");
        assert_eq!(back, payload.to_vec());
        let json: serde_json::Value = serde_json::from_slice(&blob).expect("signed blob is JSON");
        assert_eq!(json["value"], "x");

        let altered = String::from_utf8(blob.clone())
            .expect("utf8")
            .replace("\"x\"", "\"y\"");
        assert!(verify_signed(altered.as_bytes(), &key).is_err());
        let other =
            parse_public_key(Signer::from_secret([8u8; 32]).public_key_blob()).expect("key");
        assert!(verify_signed(&blob, &other).is_err());
        assert!(verify_signed(payload, &key).is_err());
        assert!(signer.sign(b"{}").is_err());
    }

    #[test]
    fn key_file_round_trips_with_private_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("signer.key");
        let a = Signer::create_file(&path).expect("create");
        assert!(matches!(
            Signer::create_file(&path),
            Err(FsError::AlreadyExists(_))
        ));
        let b = Signer::load_file(&path).expect("load");
        assert_eq!(a.public_key_ref(), b.public_key_ref());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            Signer::load_file(&dir.path().join("nope")),
            Err(FsError::NotFound(_))
        ));
    }
}
