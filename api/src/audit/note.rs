//! Signed notes (c2sp.org/signed-note) and transparency-log checkpoints (c2sp.org/tlog-checkpoint).
//!
//! A port of Go's `golang.org/x/mod/sumdb/note` (Ed25519 keys only, the one type it defines):
//!
//! - A signed note is a text ending in a newline, a blank line, then signature lines
//!   `— <key name> <base64(key id ‖ signature)>` (the dash is U+2014 EM DASH). The whole note is
//!   UTF-8 without ASCII control characters other than newline. Text and signatures split at the
//!   last blank line.
//! - The key id is the first four bytes, big-endian, of `SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)`.
//! - Keys are strings: a signer (secret) key `PRIVATE+KEY+<name>+<hex8 id>+<base64(0x01 ‖ seed)>`
//!   and a verifier key `<name>+<hex8 id>+<base64(0x01 ‖ public key)>`. Key names are non-empty
//!   with neither `+` nor any Unicode space.
//! - A checkpoint is a note whose text is `<origin>\n<tree size>\n<base64 root hash>\n`, possibly
//!   followed by non-empty extension lines, which are ignored here.
//!
//! Ed25519 is deterministic, so the tests reproduce Go's and C2SP's published notes byte for byte.
//! Where Go is lenient this is strict: base64 must be canonical, and a verifier key must hold a
//! valid Ed25519 point. Verification uses `verify_strict`, refusing malleable or weak-key
//! signatures, which no honest signer produces.

use std::fmt;

use base64::{Engine, engine::general_purpose::STANDARD};
use ed25519_dalek::{Signature as Ed25519Signature, Signer as _, SigningKey, VerifyingKey};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The signature type identifier byte of Ed25519 keys and signatures.
pub const ALG_ED25519: u8 = 0x01;

/// Signatures beyond this many make [`open`] refuse the note, so parsing stays cheap. C2SP asks
/// verifiers to accept at least 16; Go allows 100.
pub const MAX_SIGNATURES: usize = 100;

/// Em dash and space: the start of every signature line.
const SIG_PREFIX: &str = "\u{2014} ";

/// Why a key, note or checkpoint was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("malformed note")]
    MalformedNote,
    #[error("malformed key")]
    MalformedKey,
    #[error("unknown key algorithm")]
    UnknownAlgorithm,
    #[error("key id does not match the key")]
    KeyIdMismatch,
    #[error("invalid key name")]
    InvalidName,
    /// Well-formed, but signed by no known key; the note is inside, unverified.
    #[error("note has no verifiable signatures")]
    Unverified(Box<Note>),
    /// Signed by a known key, but the signature is wrong: the note has been tampered with.
    #[error("invalid signature for key {name}+{key_id:08x}")]
    InvalidSignature { name: String, key_id: u32 },
    /// More than one known verifier has this name and key id.
    #[error("ambiguous key {name}+{key_id:08x}")]
    AmbiguousKey { name: String, key_id: u32 },
    #[error("malformed checkpoint")]
    MalformedCheckpoint,
}

/// The key id of a key named `name` with encoded public key `key` (type byte, then key bytes).
pub fn key_id(name: &str, key: &[u8]) -> u32 {
    let sum = Sha256::new().chain_update(name).chain_update(b"\n").chain_update(key).finalize();
    u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]])
}

/// Whether `name` can name a key: non-empty, with no `+` and no Unicode space (the same set as
/// Go's `unicode.IsSpace`), since both would make key strings and signature lines ambiguous.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(|c: char| c == '+' || c.is_whitespace())
}

/// Parses the 8 hex digits of a key id.
fn parse_key_id(hex8: &str) -> Option<u32> {
    if hex8.len() != 8 || !hex8.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex8, 16).ok()
}

/// Decodes `base64(type ‖ 32 key bytes)`, checking the type is Ed25519.
fn decode_ed25519_key(key64: &str) -> Result<[u8; 32], NoteError> {
    let key = STANDARD.decode(key64).map_err(|_| NoteError::MalformedKey)?;
    let (&alg, bytes) = key.split_first().ok_or(NoteError::MalformedKey)?;
    if alg != ALG_ED25519 {
        return Err(NoteError::UnknownAlgorithm);
    }
    bytes.try_into().map_err(|_| NoteError::MalformedKey)
}

fn encode_ed25519_key(bytes: &[u8; 32]) -> String {
    let mut key = [0; 33];
    key[0] = ALG_ED25519;
    key[1..].copy_from_slice(bytes);
    STANDARD.encode(key)
}

/// A key that signs notes. Its `Debug` output leaves the secret out.
#[derive(Clone)]
pub struct Signer {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl Signer {
    /// Parses a signer key, `PRIVATE+KEY+<name>+<hex8 id>+<base64(0x01 ‖ 32-byte seed)>`, checking
    /// that the id is that of the public key the seed derives.
    pub fn new(skey: &str) -> Result<Self, NoteError> {
        // The base64 part may itself contain '+', so it is whatever follows the fourth one.
        let mut parts = skey.splitn(5, '+');
        let (Some("PRIVATE"), Some("KEY"), Some(name), Some(hex8), Some(key64)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(NoteError::MalformedKey);
        };
        let id = parse_key_id(hex8).ok_or(NoteError::MalformedKey)?;
        if !is_valid_name(name) {
            return Err(NoteError::MalformedKey);
        }
        let signer = Self::from_seed(name, &decode_ed25519_key(key64)?)?;
        if signer.key_id != id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(signer)
    }

    /// The signer named `name` with the Ed25519 private key `seed` (RFC 8032's 32-byte secret).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        if !is_valid_name(name) {
            return Err(NoteError::InvalidName);
        }
        let key = SigningKey::from_bytes(seed);
        let key_id = key_id(name, &[&[ALG_ED25519], key.verifying_key().as_bytes().as_slice()].concat());
        Ok(Self { name: name.to_owned(), key_id, key })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The verifier for this signer's public key.
    pub fn verifier(&self) -> Verifier {
        Verifier { name: self.name.clone(), key_id: self.key_id, key: self.key.verifying_key() }
    }

    /// The Ed25519 signature of `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish()
    }
}

/// A public key that verifies notes. `Display` gives its verifier key string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl Verifier {
    /// Parses a verifier key, `<name>+<hex8 id>+<base64(0x01 ‖ 32-byte public key)>`.
    pub fn new(vkey: &str) -> Result<Self, NoteError> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hex8), Some(key64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::MalformedKey);
        };
        let id = parse_key_id(hex8).ok_or(NoteError::MalformedKey)?;
        let key = STANDARD.decode(key64).map_err(|_| NoteError::MalformedKey)?;
        if !is_valid_name(name) || key.is_empty() {
            return Err(NoteError::MalformedKey);
        }
        // As in Go, the id covers the encoded key whatever its type, so check it first.
        if id != key_id(name, &key) {
            return Err(NoteError::KeyIdMismatch);
        }
        Self::from_public_key(name, &decode_ed25519_key(key64)?)
    }

    /// The verifier named `name` for the Ed25519 public key `public_key`.
    pub fn from_public_key(name: &str, public_key: &[u8; 32]) -> Result<Self, NoteError> {
        if !is_valid_name(name) {
            return Err(NoteError::InvalidName);
        }
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| NoteError::MalformedKey)?;
        let key_id = key_id(name, &[&[ALG_ED25519], public_key.as_slice()].concat());
        Ok(Self { name: name.to_owned(), key_id, key })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Whether `sig` is this key's Ed25519 signature of `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        Ed25519Signature::from_slice(sig).is_ok_and(|sig| self.key.verify_strict(msg, &sig).is_ok())
    }
}

impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{:08x}+{}", self.name, self.key_id, encode_ed25519_key(self.key.as_bytes()))
    }
}

/// Generates a new key named `name`: returns the signer key (secret) and its verifier key.
pub fn generate_key(name: &str) -> Result<(String, String), NoteError> {
    let mut seed = [0; 32];
    rand::rng().fill_bytes(&mut seed);
    encode_key_pair(name, &seed)
}

/// The signer key and verifier key for the Ed25519 private key `seed`, named `name`.
pub fn encode_key_pair(name: &str, seed: &[u8; 32]) -> Result<(String, String), NoteError> {
    let signer = Signer::from_seed(name, seed)?;
    let skey = format!("PRIVATE+KEY+{name}+{:08x}+{}", signer.key_id, encode_ed25519_key(seed));
    Ok((skey, signer.verifier().to_string()))
}

/// A note's text and the signatures found on it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// Signatures verified by a known key.
    pub sigs: Vec<Signature>,
    /// Signatures by unknown keys, kept so that re-signing preserves them.
    pub unverified_sigs: Vec<Signature>,
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub key_id: u32,
    /// `base64(key id ‖ signature)`, exactly as on the line.
    pub base64: String,
}

/// Whether `text` has no ASCII control character but newline, as notes must not.
fn has_only_allowed_controls(text: &str) -> bool {
    !text.chars().any(|c| c < ' ' && c != '\n')
}

/// Signs `text`, which must end in a newline, producing the signed note.
pub fn sign(text: &str, signer: &Signer) -> Result<String, NoteError> {
    sign_note(&Note { text: text.to_owned(), ..Note::default() }, &[signer])
}

/// Signs `note.text` with every signer, producing the signed note. The existing signatures in
/// `note` come first, except those by a key among the signers, whose new signature replaces them.
pub fn sign_note(note: &Note, signers: &[&Signer]) -> Result<String, NoteError> {
    // Go only checks the final newline; refusing control characters too means every note
    // produced here can be opened.
    if !note.text.ends_with('\n') || !has_only_allowed_controls(&note.text) {
        return Err(NoteError::MalformedNote);
    }
    let mut out = note.text.clone();
    out.push('\n');
    let replaced = |sig: &Signature| signers.iter().any(|s| s.name == sig.name && s.key_id == sig.key_id);
    for sig in note.sigs.iter().chain(&note.unverified_sigs).filter(|sig| !replaced(sig)) {
        // Check that the key id agrees with the one inside the base64.
        let raw = STANDARD.decode(&sig.base64).map_err(|_| NoteError::MalformedNote)?;
        if !is_valid_name(&sig.name) || raw.get(..4) != Some(sig.key_id.to_be_bytes().as_slice()) {
            return Err(NoteError::MalformedNote);
        }
        out.push_str(&format!("{SIG_PREFIX}{} {}\n", sig.name, sig.base64));
    }
    for signer in signers {
        let mut raw = signer.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&signer.sign(note.text.as_bytes()));
        out.push_str(&format!("{SIG_PREFIX}{} {}\n", signer.name, STANDARD.encode(raw)));
    }
    Ok(out)
}

/// Parses the signed note `msg` and checks its signatures against the `known` verifiers.
///
/// Signatures by known keys must verify; those by other keys are kept as unverified (C2SP: a
/// signature matching a known key's name or id, but not both, is from an unknown key). A note
/// that no known key signed is refused with [`NoteError::Unverified`], which holds it.
pub fn open(msg: &[u8], known: &[Verifier]) -> Result<Note, NoteError> {
    let msg = std::str::from_utf8(msg).map_err(|_| NoteError::MalformedNote)?;
    if !has_only_allowed_controls(msg) {
        return Err(NoteError::MalformedNote);
    }
    // The signature block follows the last blank line and ends with a newline.
    let split = msg.rfind("\n\n").ok_or(NoteError::MalformedNote)?;
    let (text, sigs) = (&msg[..=split], &msg[split + 2..]);
    let Some(sigs) = sigs.strip_suffix('\n') else {
        return Err(NoteError::MalformedNote);
    };

    let mut note = Note { text: text.to_owned(), ..Note::default() };
    let mut seen_unverified = Vec::new();
    for (count, line) in sigs.split('\n').enumerate() {
        if count >= MAX_SIGNATURES {
            return Err(NoteError::MalformedNote);
        }
        let body = line.strip_prefix(SIG_PREFIX).ok_or(NoteError::MalformedNote)?;
        let (name, b64) = body.split_once(' ').ok_or(NoteError::MalformedNote)?;
        let raw = STANDARD.decode(b64).map_err(|_| NoteError::MalformedNote)?;
        if !is_valid_name(name) || raw.len() < 5 {
            return Err(NoteError::MalformedNote);
        }
        let (id, sig) = raw.split_at(4);
        let key_id = u32::from_be_bytes([id[0], id[1], id[2], id[3]]);
        let signature = Signature { name: name.to_owned(), key_id, base64: b64.to_owned() };

        let mut matching = known.iter().filter(|v| v.name == name && v.key_id == key_id);
        let verifier = match (matching.next(), matching.next()) {
            (Some(verifier), None) => verifier,
            (Some(_), Some(_)) => return Err(NoteError::AmbiguousKey { name: name.to_owned(), key_id }),
            (None, _) => {
                // An unknown key: keep its signature, once.
                if !seen_unverified.contains(&body) {
                    seen_unverified.push(body);
                    note.unverified_sigs.push(signature);
                }
                continue;
            }
        };
        // One signature per known key counts; repeats are dropped unchecked, as in Go.
        if note.sigs.iter().any(|s| s.name == name && s.key_id == key_id) {
            continue;
        }
        if !verifier.verify(text.as_bytes(), sig) {
            return Err(NoteError::InvalidSignature { name: name.to_owned(), key_id });
        }
        note.sigs.push(signature);
    }
    if note.sigs.is_empty() {
        return Err(NoteError::Unverified(Box::new(note)));
    }
    Ok(note)
}

/// Opens the signed note `msg` with a single trusted key and returns its text.
pub fn verify(msg: &[u8], verifier: &Verifier) -> Result<String, NoteError> {
    Ok(open(msg, std::slice::from_ref(verifier))?.text)
}

/// The three essential lines of a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `trastienda.example/audit`.
    pub origin: String,
    /// The number of records in the tree.
    pub size: i64,
    /// The RFC 6962 root hash of the tree at that size.
    pub root: [u8; 32],
}

/// The note text of a checkpoint: `<origin>\n<size>\n<base64 root>\n`.
pub fn format_checkpoint(origin: &str, size: i64, root: &[u8; 32]) -> Result<String, NoteError> {
    if origin.is_empty() || !has_only_allowed_controls(origin) || origin.contains('\n') || size < 0 {
        return Err(NoteError::MalformedCheckpoint);
    }
    Ok(format!("{origin}\n{size}\n{}\n", STANDARD.encode(root)))
}

/// Parses a checkpoint's note text. Extension lines after the third are allowed (non-empty, as
/// C2SP requires) and ignored.
pub fn parse_checkpoint(text: &str) -> Result<Checkpoint, NoteError> {
    let body = text.strip_suffix('\n').ok_or(NoteError::MalformedCheckpoint)?;
    let mut lines = body.split('\n');
    let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
        return Err(NoteError::MalformedCheckpoint);
    };
    if origin.is_empty() || lines.any(str::is_empty) {
        return Err(NoteError::MalformedCheckpoint);
    }
    // Plain decimal without sign or leading zeros, so each size has a single spelling.
    let canonical =
        !size.is_empty() && size.bytes().all(|b| b.is_ascii_digit()) && (size == "0" || !size.starts_with('0'));
    let size = size.parse::<i64>().ok().filter(|_| canonical).ok_or(NoteError::MalformedCheckpoint)?;
    let root =
        STANDARD.decode(root).ok().and_then(|r| <[u8; 32]>::try_from(r).ok()).ok_or(NoteError::MalformedCheckpoint)?;
    Ok(Checkpoint { origin: origin.to_owned(), size, root })
}

/// Formats and signs a checkpoint.
pub fn sign_checkpoint(origin: &str, size: i64, root: &[u8; 32], signer: &Signer) -> Result<String, NoteError> {
    sign(&format_checkpoint(origin, size, root)?, signer)
}

/// Verifies a signed checkpoint with a single trusted key and parses it. The caller should still
/// compare the origin with the log it expects.
pub fn open_checkpoint(msg: &[u8], verifier: &Verifier) -> Result<Checkpoint, NoteError> {
    parse_checkpoint(&verify(msg, verifier)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- Vectors from Go's sumdb/note/note_test.go and example_test.go ----

    const PETER_SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    /// Generated by Go's example from an all-zero seed.
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const TEXT: &str =
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    fn peter() -> Signature {
        Signature {
            name: "PeterNeumann".into(),
            key_id: 0xc74f20a3,
            base64: "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
                .into(),
        }
    }

    fn enoch() -> Signature {
        Signature {
            name: "EnochRoot".into(),
            key_id: 0xaf0cfe78,
            base64: "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
                .into(),
        }
    }

    fn peter_verifier() -> Verifier {
        Verifier::new(PETER_VKEY).unwrap()
    }

    fn enoch_verifier() -> Verifier {
        Verifier::new(ENOCH_VKEY).unwrap()
    }

    fn msg(parts: &[&str]) -> Vec<u8> {
        parts.concat().into_bytes()
    }

    /// Every proper substring of `key`, and every one-byte increment of it.
    fn manglings(key: &str) -> Vec<String> {
        let b = key.as_bytes();
        let mut out = Vec::new();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if i != 0 || j != b.len() {
                    out.push(String::from_utf8_lossy(&b[i..j]).into_owned());
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] += 1;
            out.push(String::from_utf8_lossy(&m).into_owned());
        }
        out
    }

    #[test]
    fn go_new_verifier() {
        let v = peter_verifier();
        assert_eq!((v.name(), v.key_id()), ("PeterNeumann", 0xc74f20a3));
        assert_eq!(v.to_string(), PETER_VKEY);
        for bad in manglings(PETER_VKEY) {
            assert!(Verifier::new(&bad).is_err(), "accepted {bad:?}");
        }
        // Wrong length key and unknown algorithm, each with its key id adjusted to match.
        let wrong_length = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
        assert_eq!(Verifier::new(wrong_length), Err(NoteError::MalformedKey));
        let unknown_alg = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        assert_eq!(Verifier::new(unknown_alg), Err(NoteError::UnknownAlgorithm));
        // A wrong key id for a good key.
        assert_eq!(
            Verifier::new("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
            Err(NoteError::KeyIdMismatch)
        );
    }

    #[test]
    fn go_new_signer() {
        let s = Signer::new(PETER_SKEY).unwrap();
        assert_eq!((s.name(), s.key_id()), ("PeterNeumann", 0xc74f20a3));
        assert_eq!(s.verifier(), peter_verifier());
        for bad in manglings(PETER_SKEY) {
            assert!(Signer::new(&bad).is_err(), "accepted {bad:?}");
        }
        // The same key with a corrupted seed no longer matches its id.
        let corrupted = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKqSQ";
        assert_eq!(Signer::new(corrupted).unwrap_err(), NoteError::KeyIdMismatch);
        // Debug output keeps the secret out.
        assert_eq!(format!("{s:?}"), r#"Signer { name: "PeterNeumann", key_id: c74f20a3 }"#);
    }

    fn check_signer_and_verifier(name: &str, signer: &Signer, verifier: &Verifier) {
        // testSignerAndVerifier
        assert_eq!(signer.name(), name);
        assert_eq!(verifier.name(), name);
        assert_eq!(signer.key_id(), verifier.key_id());
        let mut msg = b"hi".to_vec();
        let mut sig = signer.sign(&msg);
        assert!(verifier.verify(&msg, &sig));
        sig[0] ^= 1;
        assert!(!verifier.verify(&msg, &sig), "corrupt signature verified");
        sig[0] ^= 1;
        msg[0] ^= 1;
        assert!(!verifier.verify(&msg, &sig), "corrupt message verified");
        assert!(!verifier.verify(b"hi", &sig[..63]), "short signature verified");
    }

    #[test]
    fn go_generate_key() {
        let (skey, vkey) = generate_key("EnochRoot").unwrap();
        let (signer, verifier) = (Signer::new(&skey).unwrap(), Verifier::new(&vkey).unwrap());
        check_signer_and_verifier("EnochRoot", &signer, &verifier);
        assert!(skey.starts_with("PRIVATE+KEY+EnochRoot+") && vkey.starts_with("EnochRoot+"));
        assert_eq!(signer.verifier().to_string(), vkey);
        assert_ne!(generate_key("EnochRoot").unwrap(), (skey, vkey), "keys are random");
        for bad in ["", "a+b", "a b", "a\u{a0}b", "a\u{3000}b", "a\nb"] {
            assert_eq!(generate_key(bad), Err(NoteError::InvalidName), "{bad:?}");
        }
    }

    #[test]
    fn go_key_from_zero_seed() {
        // example_test.go generates EnochRoot's key from an all-zero "random" reader.
        let (skey, vkey) = encode_key_pair("EnochRoot", &[0; 32]).unwrap();
        assert_eq!(vkey, ENOCH_VKEY);
        assert_eq!(skey, "PRIVATE+KEY+EnochRoot+af0cfe78+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(Signer::new(&skey).unwrap().verifier(), enoch_verifier());
    }

    #[test]
    fn go_from_ed25519() {
        // TestFromEd25519: a verifier key from a bare public key.
        let signer = Signer::from_seed("EnochRoot", &[7; 32]).unwrap();
        let public = SigningKey::from_bytes(&[7; 32]).verifying_key().to_bytes();
        let verifier = Verifier::from_public_key("EnochRoot", &public).unwrap();
        check_signer_and_verifier("EnochRoot", &signer, &verifier);
        assert_eq!(Verifier::new(&verifier.to_string()), Ok(verifier));
        assert_eq!(Verifier::from_public_key("Enoch Root", &public), Err(NoteError::InvalidName));
    }

    #[test]
    fn go_sign() {
        let signer = Signer::new(PETER_SKEY).unwrap();
        let want = format!("{TEXT}\n{PETER_SIG}");
        assert_eq!(sign(TEXT, &signer).unwrap(), want);

        // An existing signature by the same key is replaced by the new one.
        let note = Note {
            text: TEXT.into(),
            sigs: vec![Signature { name: "PeterNeumann".into(), key_id: 0xc74f20a3, base64: "BADSIGN=".into() }],
            ..Note::default()
        };
        assert_eq!(sign_note(&note, &[&signer]).unwrap(), want);

        // Bad inputs.
        assert_eq!(sign("abc", &signer), Err(NoteError::MalformedNote));
        assert_eq!(sign("", &signer), Err(NoteError::MalformedNote));
        assert_eq!(sign("tab\there\n", &signer), Err(NoteError::MalformedNote));
        let bad_name = Note {
            text: TEXT.into(),
            sigs: vec![Signature { name: "a+b".into(), key_id: 0, base64: "ABCD".into() }],
            ..Note::default()
        };
        assert_eq!(sign_note(&bad_name, &[]), Err(NoteError::MalformedNote));
        let bad_prefilled = Note {
            text: TEXT.into(),
            sigs: vec![Signature { name: "PeterNeumann".into(), key_id: 0xc74f20a3, base64: "BADHASH=".into() }],
            ..Note::default()
        };
        assert_eq!(sign_note(&bad_prefilled, &[]), Err(NoteError::MalformedNote));
    }

    #[test]
    fn go_sign_add_signatures() {
        // ExampleSign_add_signatures: open Peter's note, then add EnochRoot's signature.
        let note = open(&msg(&[TEXT, "\n", PETER_SIG]), &[peter_verifier()]).unwrap();
        let enoch = Signer::new("PRIVATE+KEY+EnochRoot+af0cfe78+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert_eq!(sign_note(&note, &[&enoch]).unwrap(), [TEXT, "\n", PETER_SIG, ENOCH_SIG].concat());
    }

    #[test]
    fn go_open() {
        let (pv, ev) = (peter_verifier(), enoch_verifier());
        let peter_only = [pv.clone()];
        let both = msg(&[TEXT, "\n", PETER_SIG, ENOCH_SIG]);

        // One signature verified, one not.
        let n = open(&both, &peter_only).unwrap();
        assert_eq!(n.text, TEXT);
        assert_eq!(n.sigs, [peter()]);
        assert_eq!(n.unverified_sigs, [enoch()]);

        // Both verified.
        let n = open(&both, &[pv.clone(), ev.clone()]).unwrap();
        assert_eq!(n.sigs, [peter(), enoch()]);
        assert!(n.unverified_sigs.is_empty());

        // Both unverified: the error holds the note.
        let err = open(&both, &[]).unwrap_err();
        assert_eq!(err.to_string(), "note has no verifiable signatures");
        let NoteError::Unverified(n) = err else { panic!("want Unverified, got {err:?}") };
        assert!(n.sigs.is_empty());
        assert_eq!(n.unverified_sigs, [peter(), enoch()]);

        // A duplicated verifier is ambiguous when used, harmless otherwise.
        let dup = [ev.clone(), pv.clone(), ev.clone()];
        let err = open(&msg(&[TEXT, "\n", ENOCH_SIG]), &dup).unwrap_err();
        assert_eq!(err.to_string(), "ambiguous key EnochRoot+af0cfe78");
        assert!(open(&msg(&[TEXT, "\n", PETER_SIG]), &dup).is_ok());

        // Too many signatures, verified or not.
        let many = msg(&[TEXT, "\n", &PETER_SIG.repeat(101)]);
        assert_eq!(open(&many, &peter_only), Err(NoteError::MalformedNote));
        assert_eq!(open(&many, &[]), Err(NoteError::MalformedNote));
        assert!(open(&msg(&[TEXT, "\n", &PETER_SIG.repeat(100)]), &peter_only).is_ok());

        // An invalid signature by a known key.
        let bad_peter = [&PETER_SIG[..60], "ABCD", &PETER_SIG[60..]].concat();
        let err = open(&msg(&[TEXT, "\n", &bad_peter]), &peter_only).unwrap_err();
        assert_eq!(err.to_string(), "invalid signature for key PeterNeumann+c74f20a3");

        // Duplicated verified and unverified signatures.
        let bad_enoch = [&ENOCH_SIG[..60], "ABCD", &ENOCH_SIG[60..]].concat();
        let n = open(&msg(&[TEXT, "\n", PETER_SIG, PETER_SIG, ENOCH_SIG, ENOCH_SIG, &bad_enoch]), &peter_only).unwrap();
        assert_eq!(n.sigs, [peter()]);
        let enoch_abcd = Signature {
            base64: "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5nABCD2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
                .into(),
            ..enoch()
        };
        assert_eq!(n.unverified_sigs, [enoch(), enoch_abcd]);

        // Invalid encoded message syntax.
        let bad_msgs: [&[u8]; 7] = [
            TEXT.as_bytes(),
            &msg(&[TEXT, "\n"]),
            &msg(&[TEXT, "\n", &PETER_SIG[..PETER_SIG.len() - 1]]),
            &msg(&["\x01", TEXT, "\n", PETER_SIG]),
            &[&b"\xff"[..], &msg(&[TEXT, "\n", PETER_SIG])].concat(),
            &msg(&[
                TEXT,
                "\n",
                "\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
            ]),
            &msg(&[TEXT, "\n", PETER_SIG, "Unexpected line.\n"]),
        ];
        for bad in bad_msgs {
            assert_eq!(open(bad, &peter_only), Err(NoteError::MalformedNote), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn tampering_and_wrong_keys_are_refused() {
        let pv = peter_verifier();
        let good = msg(&[TEXT, "\n", PETER_SIG]);
        assert_eq!(verify(&good, &pv).unwrap(), TEXT);

        // A tampered body.
        let tampered = String::from_utf8(good.clone()).unwrap().replace("cryptography", "cryptograpHy");
        assert!(matches!(verify(tampered.as_bytes(), &pv), Err(NoteError::InvalidSignature { .. })));
        // Text moved across the blank line changes what was signed.
        let shifted = msg(&[TEXT, "extra\n", "\n", PETER_SIG]);
        assert!(matches!(verify(&shifted, &pv), Err(NoteError::InvalidSignature { .. })));

        // The wrong key: another key of the same name has another id, so the signature is
        // from an unknown key and the note is unverified.
        let other = Signer::from_seed("PeterNeumann", &[1; 32]).unwrap().verifier();
        assert_ne!(other.key_id(), pv.key_id());
        assert!(matches!(verify(&good, &other), Err(NoteError::Unverified(_))));
        assert!(matches!(verify(&good, &enoch_verifier()), Err(NoteError::Unverified(_))));

        // The wrong key id in the signature line: not this key's signature.
        let wrong_id = String::from_utf8(good.clone()).unwrap().replace("x08g", "xxxx");
        assert!(matches!(verify(wrong_id.as_bytes(), &pv), Err(NoteError::Unverified(_))));
        // The right id under another name.
        let renamed = String::from_utf8(good).unwrap().replace("PeterNeumann", "CarmenSandiego");
        assert!(matches!(verify(renamed.as_bytes(), &pv), Err(NoteError::Unverified(_))));

        // Non-canonical base64 (nonzero trailing bits) is malformed, not another encoding.
        let noncanonical = PETER_SIG.replace("AM=", "AN=");
        assert_eq!(verify(&msg(&[TEXT, "\n", &noncanonical]), &pv), Err(NoteError::MalformedNote));
    }

    #[test]
    fn names() {
        for good in ["PeterNeumann", "trastienda.example/audit", "a", "caf\u{e9}"] {
            assert!(is_valid_name(good), "{good:?}");
        }
        for bad in ["", "a+b", "a b", "a\tb", "a\u{85}b", "a\u{a0}b", "a\u{2009}b", "a\u{2028}b", "a\u{3000}b"] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }

    // ---- C2SP published examples ----

    #[test]
    fn c2sp_signed_note_example() {
        // c2sp.org/signed-note, "Verifier keys" example.
        let v = Verifier::new("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k").unwrap();
        let note = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
        assert_eq!(verify(note.as_bytes(), &v).unwrap(), "This is an example message.\n");
    }

    #[test]
    fn go_sumdb_signed_tree() {
        // golang.org/x/mod sumdb/client_test.go: the test server's key and a tree note it signed.
        let skey = "PRIVATE+KEY+localhost.localdev/sumdb+00000c67+AXu6+oaVaOYuQOFrf1V59JK1owcFlJcHwwXHDfDGxSPk";
        let vkey = "localhost.localdev/sumdb+00000c67+AcTrnkbUA+TU4heY3hkjiSES/DSQniBqIeQ/YppAUtK6";
        let signer = Signer::new(skey).unwrap();
        assert_eq!(signer.verifier().to_string(), vkey);
        let root: [u8; 32] =
            STANDARD.decode("wc4SkQt52o5W2nQ8To2ARs+mWuUJjss+sdleoiqxMmM=").unwrap().try_into().unwrap();
        let signed = sign_checkpoint("go.sum database tree", 6, &root, &signer).unwrap();
        assert_eq!(
            signed,
            "go.sum database tree\n6\nwc4SkQt52o5W2nQ8To2ARs+mWuUJjss+sdleoiqxMmM=\n\n\u{2014} localhost.localdev/sumdb AAAMZ6oRNswlEZ6ZZhxrCvgl1MBy+nusq4JU+TG6Fe2NihWLqOzb+y2c2kzRLoCr4tvw9o36ucQEnhc20e4nA4Qc/wc=\n"
        );
        let checkpoint = open_checkpoint(signed.as_bytes(), &Verifier::new(vkey).unwrap()).unwrap();
        assert_eq!(checkpoint, Checkpoint { origin: "go.sum database tree".into(), size: 6, root });
    }

    // ---- Checkpoints ----

    #[test]
    fn go_format_and_parse_tree() {
        // tlog note_test.go TestFormatTree / TestParseTree: the Go sumdb's tree note is a
        // checkpoint with origin "go.sum database tree"; its root is RecordHash("hello world").
        let root: [u8; 32] = Sha256::new().chain_update([0_u8]).chain_update("hello world").finalize().into();
        let golden = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
        assert_eq!(format_checkpoint("go.sum database tree", 123456789012, &root).unwrap(), golden);
        let want = Checkpoint { origin: "go.sum database tree".into(), size: 123456789012, root };
        assert_eq!(parse_checkpoint(golden), Ok(want.clone()));
        // Extension lines are ignored.
        for good in [format!("{golden}JOE\n"), format!("{golden}{}", "JOE\n".repeat(1000))] {
            assert_eq!(parse_checkpoint(&good), Ok(want.clone()));
        }
        let bad = [
            "go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
            "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
        ];
        for bad in bad {
            assert_eq!(parse_checkpoint(bad), Err(NoteError::MalformedCheckpoint), "{bad:?}");
        }
    }

    #[test]
    fn checkpoint_syntax() {
        let root = [0xab; 32];
        let body = format_checkpoint("trastienda.example/audit", 0, &root).unwrap();
        assert_eq!(body, format!("trastienda.example/audit\n0\n{}\n", STANDARD.encode(root)));
        let r = STANDARD.encode(root);
        for bad in [
            "".to_string(),
            "origin\n".into(),
            format!("origin\n5\n{r}"),                     // no final newline
            format!("\n5\n{r}\n"),                         // empty origin
            format!("origin\n05\n{r}\n"),                  // leading zero
            format!("origin\n+5\n{r}\n"),                  // sign
            format!("origin\n-5\n{r}\n"),                  // negative
            format!("origin\n 5\n{r}\n"),                  // space
            format!("origin\n\n{r}\n"),                    // empty size
            format!("origin\n9223372036854775808\n{r}\n"), // beyond i64
            format!("origin\n5\n{r}\n\nextension\n"),      // empty extension line
            format!("origin\n5\n{}\n", STANDARD.encode([0; 31])),
            format!("origin\n5\n{}\n", &r[..r.len() - 1]),
        ] {
            assert_eq!(parse_checkpoint(&bad), Err(NoteError::MalformedCheckpoint), "{bad:?}");
        }
        assert_eq!(parse_checkpoint(&format!("o\n0\n{r}\n")).unwrap().size, 0);
        assert_eq!(parse_checkpoint(&format!("o\n9223372036854775807\n{r}\n")).unwrap().size, i64::MAX);
        for (origin, size) in [("", 1), ("a\nb", 1), ("a\rb", 1), ("origin", -1)] {
            assert_eq!(format_checkpoint(origin, size, &root), Err(NoteError::MalformedCheckpoint));
        }
    }

    #[test]
    fn signed_checkpoint_round_trip() {
        let (skey, vkey) = generate_key("trastienda.example/audit").unwrap();
        let (signer, verifier) = (Signer::new(&skey).unwrap(), Verifier::new(&vkey).unwrap());
        let root = [0x5a; 32];
        let signed = sign_checkpoint("trastienda.example/audit", 42, &root, &signer).unwrap();
        let want = Checkpoint { origin: "trastienda.example/audit".into(), size: 42, root };
        assert_eq!(open_checkpoint(signed.as_bytes(), &verifier), Ok(want));
        // A checkpoint re-signed with a different size does not verify with the old signature.
        let forged = signed.replacen("\n42\n", "\n43\n", 1);
        assert!(matches!(open_checkpoint(forged.as_bytes(), &verifier), Err(NoteError::InvalidSignature { .. })));
        // A verified note that is not a checkpoint.
        let not_checkpoint = sign("hello\n", &signer).unwrap();
        assert_eq!(open_checkpoint(not_checkpoint.as_bytes(), &verifier), Err(NoteError::MalformedCheckpoint));
    }
}
