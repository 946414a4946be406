//! Waiting for a contract's gate: one policy for `migrate apply --wait` and `migrate serve`.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::RunError;

/// How often a stop request is looked at while napping between attempts.
const NAP: Duration = Duration::from_millis(100);

/// Run `attempt` until its outcome no longer waits on a gate (`waits`), `wait` has passed,
/// or `stop` is set; before each new attempt `waited` sees the waiting outcome, then the
/// gate is given `poll` (in short naps, so a stop is seen soon). An error ends it at once.
pub async fn until_open<T, F, Fut>(
    wait: Duration,
    poll: Duration,
    stop: &AtomicBool,
    waits: impl Fn(&T) -> bool,
    mut attempt: F,
    mut waited: impl FnMut(&T),
) -> Result<T, RunError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RunError>>,
{
    let deadline = Instant::now() + wait;
    loop {
        let out = attempt().await?;
        if !waits(&out) || Instant::now() >= deadline || stop.load(Ordering::SeqCst) {
            return Ok(out);
        }
        waited(&out);
        let until = (Instant::now() + poll).min(deadline);
        while Instant::now() < until && !stop.load(Ordering::SeqCst) {
            tokio::time::sleep(NAP.min(until.saturating_duration_since(Instant::now()))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn polls_until_the_gate_opens_or_the_wait_ends() {
        let stop = AtomicBool::new(false);
        let mut n = 0;
        let mut seen = 0;
        // open on the third attempt
        let r = until_open(
            Duration::from_secs(5),
            Duration::from_millis(10),
            &stop,
            |v: &u32| *v < 3,
            || {
                n += 1;
                let v = n;
                async move { Ok(v) }
            },
            |_| seen += 1,
        )
        .await;
        assert_eq!(r.unwrap(), 3);
        assert_eq!(seen, 2);
        // never opens: the last waiting outcome once `wait` has passed
        let started = Instant::now();
        let r = until_open(
            Duration::from_millis(60),
            Duration::from_millis(10),
            &stop,
            |_: &u32| true,
            || async { Ok(7) },
            |_| {},
        )
        .await;
        assert_eq!(r.unwrap(), 7);
        assert!(started.elapsed() >= Duration::from_millis(60));
        // a stop request ends it after the attempt in progress
        stop.store(true, Ordering::SeqCst);
        let mut attempts = 0;
        let r = until_open(
            Duration::from_secs(60),
            Duration::from_secs(60),
            &stop,
            |_: &u32| true,
            || {
                attempts += 1;
                async { Ok(1) }
            },
            |_| {},
        )
        .await;
        assert_eq!((r.unwrap(), attempts), (1, 1));
        // errors end it at once
        let r: Result<u32, _> = until_open(
            Duration::from_secs(60),
            Duration::from_millis(1),
            &AtomicBool::new(false),
            |_| true,
            || async { Err(RunError::Failed("boom".into())) },
            |_| {},
        )
        .await;
        assert!(r.is_err());
    }
}
