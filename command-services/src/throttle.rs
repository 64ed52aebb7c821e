//! Limits on the anonymous routes that cost a password hash: sign-in and registration.
//!
//! - a rate per client address (GCRA through `governor`), for both routes together;
//! - a rate per account (the email asked for), for both routes;
//! - a lockout that grows after repeated failed sign-ins of one account: after
//!   `lockout_after` failures in a row, each further failure locks the account's sign-in for
//!   twice as long as the one before (1 s, 2 s, 4 s, … up to `lockout_max`); a success
//!   clears it, and so does a quiet `lockout_max` without failures. A locked sign-in is
//!   refused without hashing.
//!
//! Accounts are keyed by the normalised email (at most 254 characters); every text that is
//! not an email shares one key, so the keys an attacker can make are bounded in size too.
//!
//! Each refusal is a 429 problem with `Retry-After`. A rate of 0 turns that limit off. The
//! state is in memory, per process, and bounded: idle keys are dropped as they expire, and
//! the failure counts are an LRU of [`MAX_ACCOUNTS`] accounts.

use crate::error::ApiError;
use domain::values::Email;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use lru::LruCache;
use std::net::IpAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The most accounts whose failed sign-ins are remembered at once.
pub const MAX_ACCOUNTS: usize = 100_000;

/// How often (in checks) expired rate limit keys are swept.
const SWEEP_EVERY: u64 = 1024;

/// The limits, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthLimits {
    /// Sign-ins and registrations per minute from one client address (0: no limit).
    pub per_address_per_minute: u32,
    /// Sign-ins and registrations per minute for one email (0: no limit).
    pub per_account_per_minute: u32,
    /// Failed sign-ins in a row before the lockout starts (0: no lockout).
    pub lockout_after: u32,
    /// The longest lockout.
    pub lockout_max: Duration,
}

impl Default for AuthLimits {
    /// 30 a minute per address, 10 a minute per account, lockout after 5 failures, at most
    /// 15 minutes.
    fn default() -> Self {
        Self {
            per_address_per_minute: 30,
            per_account_per_minute: 10,
            lockout_after: 5,
            lockout_max: Duration::from_secs(15 * 60),
        }
    }
}

impl AuthLimits {
    /// Every limit off (benchmarks, and tests of other things).
    pub fn off() -> Self {
        Self {
            per_address_per_minute: 0,
            per_account_per_minute: 0,
            lockout_after: 0,
            lockout_max: Duration::ZERO,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// The key of an account: its normalised email, or one shared key for anything else.
fn account_key(email: &str) -> String {
    Email::parse(email).map_or_else(|_| "(not an email)".to_owned(), |e| e.to_string())
}

/// The limiter state of one process.
pub struct Throttle {
    limits: AuthLimits,
    addresses: Option<DefaultKeyedRateLimiter<IpAddr>>,
    accounts: Option<DefaultKeyedRateLimiter<String>>,
    failures: Mutex<LruCache<String, Failures>>,
    checks: AtomicU64,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("limits", &self.limits)
            .finish()
    }
}

fn limiter<K: std::hash::Hash + Eq + Clone>(per_minute: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_minute).map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n)))
}

fn too_many(detail: &str, wait: Duration) -> ApiError {
    ApiError::TooManyRequests {
        detail: detail.to_owned(),
        retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
    }
}

/// The key of a client address: IPv6 clients are counted by their /64, which one client
/// usually holds whole.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
        v4 => v4,
    }
}

impl Throttle {
    /// A throttle with these limits.
    pub fn new(limits: AuthLimits) -> Self {
        Self {
            limits,
            addresses: limiter(limits.per_address_per_minute),
            accounts: limiter(limits.per_account_per_minute),
            failures: Mutex::new(LruCache::new(
                NonZeroUsize::new(MAX_ACCOUNTS).unwrap_or(NonZeroUsize::MIN),
            )),
            checks: AtomicU64::new(0),
        }
    }

    fn sweep(&self) {
        if !self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            return;
        }
        if let Some(addresses) = &self.addresses {
            addresses.retain_recent();
            addresses.shrink_to_fit();
        }
        if let Some(accounts) = &self.accounts {
            accounts.retain_recent();
            accounts.shrink_to_fit();
        }
    }

    /// Counts a request from `address` (when known) for the account `email`; refuses one
    /// over either rate, or a sign-in of a locked account.
    pub fn admit(
        &self,
        address: Option<IpAddr>,
        email: &str,
        sign_in: bool,
    ) -> Result<(), ApiError> {
        self.sweep();
        let now = DefaultClock::default().now();
        if let (Some(limiter), Some(address)) = (&self.addresses, address)
            && let Err(not_until) = limiter.check_key(&address_key(address))
        {
            return Err(too_many(
                "too many sign-ins or registrations from your address; retry later",
                not_until.wait_time_from(now),
            ));
        }
        let account = account_key(email);
        if sign_in && let Some(wait) = self.locked_for(&account) {
            return Err(too_many(
                "too many failed sign-ins for this account; retry later",
                wait,
            ));
        }
        if let Some(limiter) = &self.accounts
            && let Err(not_until) = limiter.check_key(&account)
        {
            return Err(too_many(
                "too many attempts for this account; retry later",
                not_until.wait_time_from(now),
            ));
        }
        Ok(())
    }

    fn locked_for(&self, account: &str) -> Option<Duration> {
        let mut failures = self.failures.lock().ok()?;
        let until = failures.get(account)?.locked_until?;
        until.checked_duration_since(Instant::now())
    }

    /// Records a failed sign-in; past the threshold, the account's sign-in is locked for a
    /// doubling time.
    pub fn failed(&self, email: &str) {
        if self.limits.lockout_after == 0 {
            return;
        }
        let now = Instant::now();
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        let entry = failures.get_or_insert_mut(account_key(email), || Failures {
            count: 0,
            last: now,
            locked_until: None,
        });
        // A quiet spell as long as the longest lockout forgives the earlier failures.
        if now.duration_since(entry.last) > self.limits.lockout_max {
            entry.count = 0;
        }
        entry.last = now;
        entry.count = entry.count.saturating_add(1);
        if let Some(over) = entry.count.checked_sub(self.limits.lockout_after) {
            let lock = Duration::from_secs(1u64 << over.min(20)).min(self.limits.lockout_max);
            entry.locked_until = Some(Instant::now() + lock);
        }
    }

    /// Records a successful sign-in: the account's failures are forgotten.
    pub fn succeeded(&self, email: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.pop(&account_key(email));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(result: Result<(), ApiError>) -> Option<u64> {
        match result {
            Ok(()) => None,
            Err(ApiError::TooManyRequests { retry_after, .. }) => Some(retry_after),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn an_address_over_its_rate_is_refused_with_a_wait_and_others_are_not() {
        let throttle = Throttle::new(AuthLimits {
            per_address_per_minute: 3,
            ..AuthLimits::off()
        });
        for n in 0..3 {
            assert_eq!(
                status(throttle.admit(ip("10.0.0.1"), &format!("u{n}@x.io"), true)),
                None
            );
        }
        let wait = status(throttle.admit(ip("10.0.0.1"), "other@x.io", false));
        assert!(matches!(wait, Some(1..=20)), "{wait:?}");
        assert_eq!(status(throttle.admit(ip("10.0.0.2"), "a@x.io", true)), None);
        // One IPv6 client holds its /64.
        for n in 0..3 {
            let address = ip(&format!("2001:db8::{n}"));
            assert_eq!(status(throttle.admit(address, "a@x.io", true)), None);
        }
        assert!(status(throttle.admit(ip("2001:db8::ffff"), "a@x.io", true)).is_some());
        assert_eq!(
            status(throttle.admit(ip("2001:db8:0:1::1"), "a@x.io", true)),
            None
        );
    }

    #[test]
    fn an_account_over_its_rate_is_refused_from_any_address() {
        let throttle = Throttle::new(AuthLimits {
            per_account_per_minute: 2,
            ..AuthLimits::off()
        });
        assert_eq!(
            status(throttle.admit(ip("10.0.0.1"), "Ann@X.io", true)),
            None
        );
        assert_eq!(
            status(throttle.admit(ip("10.0.0.2"), "ann@x.io", true)),
            None
        );
        assert!(status(throttle.admit(ip("10.0.0.3"), "ann@x.io ", true)).is_some());
        assert_eq!(
            status(throttle.admit(ip("10.0.0.3"), "bob@x.io", true)),
            None
        );
    }

    #[test]
    fn anything_that_is_not_an_email_shares_one_account_key() {
        assert_eq!(account_key(" Ann@Example.COM "), "ann@example.com");
        assert_eq!(
            account_key(&"x".repeat(60_000)),
            account_key("not an email")
        );
    }

    #[test]
    fn a_quiet_spell_forgives_earlier_failures() {
        let throttle = Throttle::new(AuthLimits {
            lockout_after: 2,
            lockout_max: Duration::from_millis(50),
            ..AuthLimits::off()
        });
        throttle.failed("ann@x.io");
        std::thread::sleep(Duration::from_millis(120));
        throttle.failed("ann@x.io");
        assert_eq!(status(throttle.admit(None, "ann@x.io", true)), None);
    }

    #[test]
    fn failures_past_the_threshold_lock_the_sign_in_for_a_doubling_time() {
        let throttle = Throttle::new(AuthLimits {
            lockout_after: 2,
            lockout_max: Duration::from_secs(3),
            ..AuthLimits::off()
        });
        let admit = |email| status(throttle.admit(None, email, true));
        throttle.failed("ann@x.io");
        assert_eq!(admit("ann@x.io"), None, "one failure is free");
        throttle.failed("ann@x.io");
        assert_eq!(admit("ann@x.io"), Some(1), "the second locks for 1 s");
        throttle.failed("ann@x.io");
        assert_eq!(admit("ann@x.io"), Some(2));
        throttle.failed("ann@x.io");
        throttle.failed("ann@x.io");
        assert_eq!(admit("ann@x.io"), Some(3), "capped at lockout_max");
        assert_eq!(
            status(throttle.admit(None, "ann@x.io", false)),
            None,
            "a registration is not a sign-in"
        );
        assert_eq!(admit("bob@x.io"), None);
        throttle.succeeded("ann@x.io");
        assert_eq!(admit("ann@x.io"), None, "a success clears it");
    }
}
