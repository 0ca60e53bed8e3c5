//! A single-flight cache for one access token per client instance.
//!
//! All callers go through one async mutex: the first caller that finds no usable token mints one
//! while the others wait, and they then share it. So 50 concurrent calls cost one token request.
//! A caller that waited while someone else minted accepts that token even if its lifetime is
//! tiny (already past its refresh point): otherwise a server that issues very short-lived tokens
//! would make every waiter mint again, one after another. Likewise a failed mint is shared with
//! the callers that were already waiting for it: 50 calls with a wrong secret cost one refused
//! token request, not 50 (each of which might also wait out retries).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// A token handed to one caller, with the generation that identifies it for [`TokenCache::invalidate`].
#[derive(Debug, Clone)]
pub struct Lease<T> {
    /// The cached value (for example the bearer token).
    pub value: T,
    /// Which mint produced it.
    pub generation: u64,
}

struct Entry<T> {
    value: T,
    minted_at: Instant,
    refresh_at: Instant,
    generation: u64,
    /// Set when the server rejected the token; the value is kept so a mint can use it (a refresh
    /// may need the previous refresh token).
    rejected: bool,
}

struct Slot<T, E> {
    entry: Option<Entry<T>>,
    /// The last failed mint and when it ended; handed to callers that asked before that.
    failure: Option<(Instant, E)>,
}

/// The longest a token is used before minting a new one, whatever lifetime the server (or a
/// configuration) claims. A server may send any `expires_in`, up to `i64::MAX` seconds, and
/// `Instant + Duration` panics on overflow; a day is far beyond any real lifetime (Jamf issues
/// minutes, MaaS360 an hour), and a 401 re-mints a token that stopped working earlier anyway.
pub const MAX_TOKEN_USE: Duration = Duration::from_secs(24 * 60 * 60);

/// See the module docs. `E` is the error a mint can fail with.
pub struct TokenCache<T, E> {
    slot: Mutex<Slot<T, E>>,
    minted: AtomicU64,
}

impl<T, E> Default for TokenCache<T, E> {
    fn default() -> Self {
        Self { slot: Mutex::new(Slot { entry: None, failure: None }), minted: AtomicU64::new(0) }
    }
}

impl<T, E> std::fmt::Debug for TokenCache<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token itself.
        f.debug_struct("TokenCache").field("minted", &self.minted.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

impl<T: Clone, E: Clone> TokenCache<T, E> {
    /// Returns the cached token, or mints one with `mint(previous)`. `mint` returns the value and
    /// how long it may be used before a refresh (already reduced by any safety margin).
    pub async fn get<F, Fut>(&self, mint: F) -> Result<Lease<T>, E>
    where
        F: FnOnce(Option<T>) -> Fut,
        Fut: Future<Output = Result<(T, Duration), E>>,
    {
        let asked_at = Instant::now();
        let mut slot = self.slot.lock().await;
        if let Some((failed_at, err)) = &slot.failure
            && *failed_at >= asked_at
        {
            return Err(err.clone());
        }
        if let Some(e) = slot.entry.as_ref() {
            let now = Instant::now();
            if !e.rejected && (now < e.refresh_at || e.minted_at >= asked_at) {
                return Ok(Lease { value: e.value.clone(), generation: e.generation });
            }
        }
        let previous = slot.entry.as_ref().map(|e| e.value.clone());
        // Holding the lock across the mint is the single flight: waiters queue behind it.
        let (value, usable_for) = match mint(previous).await {
            Ok(minted) => minted,
            Err(err) => {
                slot.failure = Some((Instant::now(), err.clone()));
                return Err(err);
            }
        };
        let generation = self.minted.fetch_add(1, Ordering::Relaxed) + 1;
        let minted_at = Instant::now();
        slot.failure = None;
        slot.entry = Some(Entry {
            value: value.clone(),
            minted_at,
            // Clamped and checked: never a panic, whatever the server said.
            refresh_at: minted_at.checked_add(usable_for.min(MAX_TOKEN_USE)).unwrap_or(minted_at),
            generation,
            rejected: false,
        });
        Ok(Lease { value, generation })
    }

    /// Marks the token of `generation` as rejected by the server, so the next [`get`](Self::get)
    /// mints a new one. A newer token (someone already re-minted) is left alone.
    pub async fn invalidate(&self, generation: u64) {
        let mut slot = self.slot.lock().await;
        if let Some(e) = slot.entry.as_mut()
            && e.generation == generation
        {
            e.rejected = true;
        }
    }

    /// How many tokens this cache has minted (observability and tests).
    pub fn minted(&self) -> u64 {
        self.minted.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn concurrent_callers_share_one_mint() {
        let cache = Arc::new(TokenCache::<String, ()>::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let cache = cache.clone();
            let calls = calls.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|_| async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, ()>(("t1".to_owned(), Duration::from_secs(60)))
                    })
                    .await
                    .unwrap()
                    .value
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), "t1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(cache.minted(), 1);
    }

    #[tokio::test]
    async fn expired_or_rejected_tokens_are_reminted_with_the_previous_value() {
        let cache = TokenCache::<String, &str>::default();
        let l1 = cache.get(|_| async { Ok::<_, &str>(("a".into(), Duration::ZERO)) }).await.unwrap();
        // Usable-for zero: the next caller (who asked after the mint) mints again.
        let l2 = cache
            .get(|prev| async move {
                assert_eq!(prev.as_deref(), Some("a"));
                Ok::<_, &str>(("b".into(), Duration::from_secs(60)))
            })
            .await
            .unwrap();
        assert_eq!((l1.generation, l2.value.as_str()), (1, "b"));
        // A stale invalidation (older generation) does nothing.
        cache.invalidate(l1.generation).await;
        let l3 = cache.get(|_| async { Err::<(String, Duration), _>("no mint expected") }).await.unwrap();
        assert_eq!(l3.value, "b");
        cache.invalidate(l2.generation).await;
        let l4 = cache
            .get(|prev| async move {
                assert_eq!(prev.as_deref(), Some("b"));
                Ok::<_, &str>(("c".into(), Duration::from_secs(60)))
            })
            .await
            .unwrap();
        assert_eq!(l4.value, "c");
        assert_eq!(cache.minted(), 3);
    }

    #[tokio::test]
    async fn a_failed_mint_is_shared_with_waiters_only() {
        let cache = Arc::new(TokenCache::<String, String>::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (cache, calls) = (cache.clone(), calls.clone());
                tokio::spawn(async move {
                    cache
                        .get(|_| async move {
                            calls.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Err::<(String, Duration), _>("refused".to_owned())
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap_err(), "refused");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // A caller arriving after the failure tries again.
        let l = cache.get(|_| async { Ok::<_, String>(("t".into(), Duration::from_secs(5))) });
        assert_eq!(l.await.unwrap().value, "t");
    }

    #[tokio::test]
    async fn a_lifetime_past_any_clock_is_clamped_not_a_panic() {
        let cache = TokenCache::<String, ()>::default();
        let l = cache.get(|_| async { Ok::<_, ()>(("a".into(), Duration::from_secs(i64::MAX as u64))) });
        assert_eq!(l.await.unwrap().value, "a");
        let l = cache.get(|_| async { Ok::<_, ()>(("b".into(), Duration::MAX)) });
        assert_eq!(l.await.unwrap().value, "a", "still usable: clamped to a day, not zero");
        assert_eq!(cache.minted(), 1);
    }

    #[tokio::test]
    async fn a_failed_mint_caches_nothing() {
        let cache = TokenCache::<String, ()>::default();
        assert!(cache.get(|_| async { Err::<(String, Duration), _>(()) }).await.is_err());
        let l = cache.get(|prev| async move {
            assert!(prev.is_none());
            Ok::<_, ()>(("x".into(), Duration::from_secs(1)))
        });
        assert_eq!(l.await.unwrap().value, "x");
    }
}
