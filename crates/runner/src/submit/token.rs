//! The `ClientToken` of a task, derived from what the task is: the request
//! as it will be sent (without a token) and every input's key, size and
//! checksum. The same load gives the same token, so a rerun after a crash
//! (or a Ctrl-C before the answer arrived) gets the task that already
//! exists instead of a second one [MODEL: `ClientToken` is an
//! idempotency token]; any change to the task or the data gives a new one.
//!
//! How long the service remembers a token is undocumented \[INF\]; the
//! emulator remembers it for ever.

use sha2::{Digest, Sha256};
use tsload_model::wire::CreateBatchLoadTaskRequest;

/// What identifies one input object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// The S3 key.
    pub key: String,
    /// Its size.
    pub size: u64,
    /// SHA-256 of the content (hex) for uploaded files, or the ETag of an
    /// object already in S3.
    pub checksum: String,
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The token: `tsload1-` and 56 hex digits of SHA-256 (64 characters, the
/// model's maximum).
pub fn client_token(request: &CreateBatchLoadTaskRequest, inputs: &[Fingerprint]) -> String {
    let mut req = request.clone();
    req.client_token = None;
    let mut h = Sha256::new();
    h.update(b"tsload client token v1\n");
    h.update(serde_json::to_vec(&req).expect("wire types serialise"));
    let mut sorted: Vec<&Fingerprint> = inputs.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    for f in sorted {
        h.update(b"\n");
        h.update(f.key.as_bytes());
        h.update(b"\0");
        h.update(f.size.to_string().as_bytes());
        h.update(b"\0");
        h.update(f.checksum.as_bytes());
    }
    let digest = hex(&h.finalize());
    format!("tsload1-{}", &digest[..56])
}

/// A token no earlier run has used (`submit --new-task`): the derived
/// token plus the time, the process id and a counter, so that the service
/// creates a new task for the same request and data.
pub fn fresh_client_token(request: &CreateBatchLoadTaskRequest, inputs: &[Fingerprint]) -> String {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut h = Sha256::new();
    h.update(client_token(request, inputs).as_bytes());
    h.update(format!("\nnew {nanos} {} {call}", std::process::id()).as_bytes());
    format!("tsload1-{}", &hex(&h.finalize())[..56])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(key: &str, sum: &str) -> Fingerprint {
        Fingerprint {
            key: key.into(),
            size: 10,
            checksum: sum.into(),
        }
    }

    #[test]
    fn fresh_tokens_differ_from_the_derived_one_and_each_other() {
        let req = CreateBatchLoadTaskRequest::default();
        let derived = client_token(&req, &[fp("p/a.csv", "1")]);
        let a = fresh_client_token(&req, &[fp("p/a.csv", "1")]);
        let b = fresh_client_token(&req, &[fp("p/a.csv", "1")]);
        assert_eq!((a.len(), &a[..8]), (64, "tsload1-"));
        assert!(a != derived && b != derived && a != b);
    }

    #[test]
    fn same_load_same_token_any_change_another() {
        let mut req = CreateBatchLoadTaskRequest {
            target_database_name: Some("db".into()),
            ..Default::default()
        };
        let a = client_token(&req, &[fp("p/a.csv", "1"), fp("p/b.csv", "2")]);
        assert_eq!(a.len(), 64);
        assert!(a.starts_with("tsload1-"));
        // Order of inputs and an existing token do not matter.
        req.client_token = Some("x".into());
        assert_eq!(
            a,
            client_token(&req, &[fp("p/b.csv", "2"), fp("p/a.csv", "1")])
        );
        assert_ne!(
            a,
            client_token(&req, &[fp("p/a.csv", "1"), fp("p/b.csv", "3")])
        );
        req.record_version = Some(2);
        assert_ne!(
            a,
            client_token(&req, &[fp("p/a.csv", "1"), fp("p/b.csv", "2")])
        );
    }
}
