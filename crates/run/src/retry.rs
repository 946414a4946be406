//! Jittered exponential back-off for statements that gave up waiting for a lock.
//!
//! A DDL waiting for ACCESS EXCLUSIVE queues every later request on the table behind it
//! (pg-locks.md, "The lock queue"), so the runner waits only `lock_timeout`, steps aside,
//! and tries again a little later; jitter keeps several runners or retries from lining up.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// One attempt's future, borrowing the state [`retry`] lends it.
pub type Attempt<'s, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 's>>;

/// Run `attempt` on `state` until it succeeds, fails with an error `retryable` does not
/// accept, or `policy`'s retries are spent (the last error is returned). Before each retry
/// `backing_off` is told the retry's number, its delay and the error; then the delay is
/// slept. `attempt` undoes its own partial work before it returns an error (a `ROLLBACK`).
pub async fn retry<S, T, E>(
    policy: &RetryPolicy,
    state: &mut S,
    retryable: impl Fn(&E) -> bool,
    mut backing_off: impl FnMut(u32, Duration, &E),
    mut attempt: impl for<'s> FnMut(&'s mut S, u32) -> Attempt<'s, T, E>,
) -> Result<T, E>
where
    S: ?Sized,
{
    let mut n = 0;
    loop {
        match attempt(state, n).await {
            Err(e) if n < policy.retries && retryable(&e) => {
                n += 1;
                let d = policy.delay(n);
                backing_off(n, d, &e);
                tokio::time::sleep(d).await;
            }
            r => return r,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// Delay before the first retry (before jitter).
    pub base: Duration,
    /// Cap on one delay.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 5,
            base: Duration::from_millis(250),
            max: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `retry` (1-based): `base * 2^(retry-1)` capped at `max`,
    /// then a random value in its upper half.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(20);
        let full = self.base.saturating_mul(1 << exp).min(self.max);
        let ms = full.as_millis() as u64;
        if ms < 2 {
            return full;
        }
        Duration::from_millis(rand::random_range(ms / 2..=ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_capped_and_jittered() {
        let p = RetryPolicy {
            retries: 10,
            base: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        for _ in 0..50 {
            let d1 = p.delay(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d3 = p.delay(3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
            let d9 = p.delay(9);
            assert!(d9 >= Duration::from_millis(500) && d9 <= Duration::from_millis(1000));
        }
        assert!(p.delay(u32::MAX) <= Duration::from_millis(1000));
    }
}
