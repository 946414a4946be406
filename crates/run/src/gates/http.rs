//! `http` gate: a URL answers 2xx and, optionally, the JSON value at an RFC 6901 pointer
//! equals the expected value (numbers: reaches it, `>=`).

use std::time::Duration;

use super::Verdict;

#[derive(Debug, Clone, PartialEq)]
pub struct HttpGate {
    pub url: String,
    pub pointer: Option<String>,
    pub expect: Option<serde_json::Value>,
    pub timeout: Duration,
}

/// A URL for messages: no user info, no query (either may carry a credential).
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => "<unparsable URL>".into(),
    }
}

impl HttpGate {
    pub fn label(&self) -> String {
        format!("http {}", redact_url(&self.url))
    }

    pub async fn check(&self) -> Verdict {
        let (holds, why) = self.ask().await;
        Verdict::leaf(self.label(), holds, why)
    }

    async fn ask(&self) -> (bool, String) {
        let client = match reqwest::Client::builder().timeout(self.timeout).build() {
            Ok(c) => c,
            Err(e) => return (false, format!("cannot build an HTTP client: {e}")),
        };
        let resp = match client.get(&self.url).send().await {
            Ok(r) => r,
            // reqwest's message names the URL: say it without credentials instead
            Err(e) if e.is_timeout() => {
                return (
                    false,
                    format!(
                        "no answer within {}",
                        humantime::format_duration(self.timeout)
                    ),
                );
            }
            Err(e) => return (false, format!("request failed: {}", e.without_url())),
        };
        let status = resp.status();
        if !status.is_success() {
            return (false, format!("answered {status}"));
        }
        let Some(pointer) = &self.pointer else {
            return (true, format!("answered {status}"));
        };
        let body: serde_json::Value = match resp.json().await {
            Ok(b) => b,
            Err(e) => {
                return (
                    false,
                    format!("answered {status} but not JSON: {}", e.without_url()),
                );
            }
        };
        judge(&body, pointer, self.expect.as_ref())
    }
}

/// Does `body` at `pointer` match `expect` (absent: the value exists and is not false/null)?
pub fn judge(
    body: &serde_json::Value,
    pointer: &str,
    expect: Option<&serde_json::Value>,
) -> (bool, String) {
    let Some(actual) = body.pointer(pointer) else {
        return (false, format!("no value at JSON pointer {pointer}"));
    };
    match expect {
        None => {
            let ok = !matches!(
                actual,
                serde_json::Value::Null | serde_json::Value::Bool(false)
            );
            (ok, format!("{pointer} is {actual}"))
        }
        Some(serde_json::Value::Number(want)) => match (actual.as_f64(), want.as_f64()) {
            (Some(a), Some(w)) if a >= w => (true, format!("{pointer} is {actual} (>= {want})")),
            (Some(_), Some(_)) => (
                false,
                format!("{pointer} is {actual}, waiting for >= {want}"),
            ),
            _ => (
                false,
                format!("{pointer} is {actual}, not a number (expected >= {want})"),
            ),
        },
        Some(want) if actual == want => (true, format!("{pointer} is {actual}")),
        Some(want) => (false, format!("{pointer} is {actual}, waiting for {want}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_equal_or_reach() {
        let body = json!({"version": 41, "status": {"phase": "done"}, "list": [{"v": "a"}]});
        assert!(judge(&body, "/version", Some(&json!(40))).0);
        assert!(judge(&body, "/version", Some(&json!(41))).0);
        let (ok, why) = judge(&body, "/version", Some(&json!(42)));
        assert!(!ok);
        assert_eq!(why, "/version is 41, waiting for >= 42");
        assert!(judge(&body, "/status/phase", Some(&json!("done"))).0);
        assert!(!judge(&body, "/status/phase", Some(&json!("other"))).0);
        assert!(judge(&body, "/list/0/v", Some(&json!("a"))).0);
        assert!(!judge(&body, "/missing", None).0);
        assert!(judge(&body, "/status", None).0);
    }

    #[test]
    fn urls_lose_credentials() {
        assert_eq!(
            redact_url("https://user:secret@example.com/x?token=abc"),
            "https://example.com/x"
        );
    }
}
