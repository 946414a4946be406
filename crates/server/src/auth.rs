//! `/v1` authentication: `Authorization: Bearer <token>` or `X-Sluice-Signature:
//! sha256=<hex HMAC-SHA256 of the body>`, both compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Secrets the server checks requests against. `Debug` never shows them.
#[derive(Clone, Default)]
pub struct Auth {
    token: Option<Vec<u8>>,
    hmac_key: Option<Vec<u8>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("hmac_key", &self.hmac_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Auth {
    /// At least one of them; empty ones count as absent.
    pub fn new(token: Option<String>, hmac_key: Option<Vec<u8>>) -> Option<Auth> {
        let token = token
            .map(|t| t.trim().as_bytes().to_vec())
            .filter(|t| !t.is_empty());
        let hmac_key = hmac_key
            .map(|k| k.trim_ascii_end().to_vec())
            .filter(|k| !k.is_empty());
        (token.is_some() || hmac_key.is_some()).then_some(Auth { token, hmac_key })
    }

    /// Does the request carry a valid token or signature for `body`?
    pub fn check(
        &self,
        authorization: Option<&[u8]>,
        signature: Option<&[u8]>,
        body: &[u8],
    ) -> bool {
        if let (Some(want), Some(h)) = (&self.token, authorization)
            && let Some(got) = h.strip_prefix(b"Bearer ")
            && bool::from(got.trim_ascii().ct_eq(want))
        {
            return true;
        }
        if let (Some(key), Some(sig)) = (&self.hmac_key, signature)
            && let Some(hexed) = sig.trim_ascii().strip_prefix(b"sha256=")
            && let Ok(raw) = hex::decode(hexed)
            && let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key)
        {
            mac.update(body);
            return mac.verify_slice(&raw).is_ok();
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_run::hooks::signature;

    #[test]
    fn token_or_signature() {
        let a = Auth::new(Some("s3cret\n".into()), Some(b"key\n".to_vec())).unwrap();
        assert!(a.check(Some(b"Bearer s3cret"), None, b""));
        assert!(!a.check(Some(b"Bearer s3cres"), None, b""));
        assert!(!a.check(Some(b"Bearer "), None, b""));
        assert!(!a.check(Some(b"s3cret"), None, b""));
        let sig = signature(b"key", b"{}");
        assert!(a.check(None, Some(sig.as_bytes()), b"{}"));
        assert!(!a.check(None, Some(sig.as_bytes()), b"{ }"));
        assert!(!a.check(None, Some(b"sha256=zz"), b"{}"));
        assert!(!a.check(None, None, b"{}"));
        assert!(Auth::new(Some(" ".into()), None).is_none());
        assert!(!format!("{a:?}").contains("s3cret"));
    }
}
