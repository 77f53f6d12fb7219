//! A per-client-address limit on login attempts (sliding one-minute window, in memory).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Forget idle addresses when the table grows past this many.
const PRUNE_AT: usize = 10_000;

pub struct LoginThrottle {
    per_minute: u32,
    attempts: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// `per_minute` 0 disables the limit.
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, attempts: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt from `client`; `false` when it is over the limit (not counted then).
    pub fn try_acquire(&self, client: Option<IpAddr>) -> bool {
        self.try_acquire_at(client, Instant::now())
    }

    fn try_acquire_at(&self, client: Option<IpAddr>, now: Instant) -> bool {
        let (Some(client), true) = (client, self.per_minute > 0) else {
            return true;
        };
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if attempts.len() >= PRUNE_AT {
            attempts.retain(|_, seen| seen.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        let seen = attempts.entry(client).or_default();
        while seen.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            seen.pop_front();
        }
        if seen.len() >= self.per_minute as usize {
            return false;
        }
        seen.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_per_minute_then_refuses_then_recovers() {
        let throttle = LoginThrottle::new(3);
        let ip: Option<IpAddr> = Some("10.0.0.1".parse().unwrap());
        let start = Instant::now();
        for _ in 0..3 {
            assert!(throttle.try_acquire_at(ip, start));
        }
        assert!(!throttle.try_acquire_at(ip, start + Duration::from_secs(30)));
        assert!(throttle.try_acquire_at(Some("10.0.0.2".parse().unwrap()), start), "other clients unaffected");
        assert!(throttle.try_acquire_at(ip, start + Duration::from_secs(61)));
    }

    #[test]
    fn zero_disables_the_limit() {
        let throttle = LoginThrottle::new(0);
        let ip = Some("10.0.0.1".parse().unwrap());
        assert!((0..1000).all(|_| throttle.try_acquire(ip)));
    }
}
