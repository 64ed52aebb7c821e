//! Argon2id work with bounded concurrency, queue and memory.
//!
//! Each Argon2id hash or check holds about 19 MiB for its duration, and an anonymous caller
//! can ask for one with every login. So the work runs on a fixed set of threads (about one per
//! core) fed by a bounded queue: a request waits in the queue for at most `wait`, and is
//! refused with [`HashError::Busy`] (answered 503 with `Retry-After`) when the queue is full
//! or the wait runs out. Each thread keeps its Argon2 working memory and reuses it (see
//! [`super::argon`]), so the pool holds `workers` × 19 MiB however many sign-ins come.

use super::Password;
use super::argon::{self, Memory};
use super::secret::Secret;
use domain::values::PasswordHash;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Why password work did not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// Too much password work is queued already; retry later.
    #[error("too many sign-ins at once; retry shortly")]
    Busy,
    /// Argon2 failed (a bug, never the input).
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// Bounds of the hashing pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    /// Hashes running at once (threads).
    pub workers: usize,
    /// Requests waiting beyond those.
    pub queue: usize,
    /// The longest a request waits in the queue.
    pub wait: Duration,
}

impl Default for HashingLimits {
    /// One worker per core, 64 waiting per worker, 2 s of waiting.
    fn default() -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            workers,
            queue: workers * 64,
            wait: Duration::from_secs(2),
        }
    }
}

type Work = Box<dyn FnOnce(&mut Memory) + Send>;

struct Job {
    deadline: Instant,
    work: Work,
}

/// The password hashing pool; cheap to clone. Its threads stop when the last clone is dropped.
#[derive(Clone)]
pub struct Hashing {
    jobs: SyncSender<Job>,
    wait: Duration,
}

impl std::fmt::Debug for Hashing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hashing").field("wait", &self.wait).finish()
    }
}

impl Default for Hashing {
    fn default() -> Self {
        Self::new(HashingLimits::default())
    }
}

impl Hashing {
    /// Starts `limits.workers` threads (at least one).
    pub fn new(limits: HashingLimits) -> Self {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(limits.queue);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..limits.workers.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&queue));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Self {
            jobs,
            wait: limits.wait,
        }
    }

    /// Runs `f` on a hashing thread, or refuses when the pool is saturated.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        // Dropped unanswered: it waited past its deadline.
        self.submit(f)?.await.map_err(|_| HashError::Busy)
    }

    /// Queues `f`, or refuses at once when the queue is full.
    fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<oneshot::Receiver<T>, HashError> {
        let (answer, answered) = oneshot::channel();
        let job = Job {
            deadline: Instant::now() + self.wait,
            work: Box::new(move |memory| {
                // The caller went away (its client disconnected, its request timed out):
                // nobody would read the answer.
                if !answer.is_closed() {
                    let _ = answer.send(f(memory));
                }
            }),
        };
        match self.jobs.try_send(job) {
            Ok(()) => Ok(answered),
            Err(TrySendError::Full(_)) => Err(HashError::Busy),
            Err(TrySendError::Disconnected(_)) => {
                Err(HashError::Failed("no hashing thread runs".into()))
            }
        }
    }

    /// Hashes a password that met the policy.
    pub async fn hash(&self, password: Password) -> Result<PasswordHash, HashError> {
        self.run(move |memory| argon::hash(password.secret(), memory))
            .await?
            .map_err(HashError::Failed)
    }

    /// True when `plain` matches `stored`. With no stored hash (an unknown account) the check
    /// runs against a decoy, so that the answer takes as long and reveals nothing.
    pub async fn verify(
        &self,
        plain: Secret,
        stored: Option<PasswordHash>,
    ) -> Result<bool, HashError> {
        self.run(move |memory| match stored {
            Some(hash) => Ok(argon::verify(&plain, &hash, memory)),
            None => decoy(memory).map(|hash| {
                argon::verify(&plain, &hash, memory);
                false
            }),
        })
        .await?
    }
}

/// A hash to check against when the account is unknown; made once, on a hashing thread.
fn decoy(memory: &mut Memory) -> Result<PasswordHash, HashError> {
    static DECOY: OnceLock<Result<PasswordHash, String>> = OnceLock::new();
    DECOY
        .get_or_init(|| argon::hash(&Secret::new("a decoy password nobody has"), memory))
        .clone()
        .map_err(HashError::Failed)
}

fn work(queue: &Mutex<Receiver<Job>>) {
    let mut memory = Memory::new();
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        // Past its deadline the caller has been told to come back: drop it unrun.
        if Instant::now() <= job.deadline {
            (job.work)(&mut memory);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(workers: usize, queue: usize, wait: Duration) -> Hashing {
        Hashing::new(HashingLimits {
            workers,
            queue,
            wait,
        })
    }

    /// Holds the pool's one worker until the returned sender sends.
    async fn hold(
        hashing: &Hashing,
    ) -> (
        tokio::task::JoinHandle<Result<(), HashError>>,
        std::sync::mpsc::Sender<()>,
    ) {
        let (started, wait_started) = oneshot::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let hashing = hashing.clone();
        let slow = tokio::spawn(async move {
            hashing
                .run(move |_| {
                    let _ = started.send(());
                    let _ = released.recv();
                })
                .await
        });
        wait_started.await.unwrap();
        (slow, release)
    }

    #[tokio::test]
    async fn hashes_and_verifies_and_refuses_a_decoy() {
        let hashing = pool(1, 4, Duration::from_secs(30));
        let hash = hashing
            .hash(Password::parse("correct horse battery").unwrap())
            .await
            .unwrap();
        let right = Secret::new("correct horse battery");
        assert!(hashing.verify(right.clone(), Some(hash)).await.unwrap());
        assert!(!hashing.verify(right, None).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once() {
        // One worker and one place in the queue: while a slow job runs and another waits,
        // a third request is refused.
        let hashing = pool(1, 1, Duration::from_secs(30));
        let (slow, release) = hold(&hashing).await;
        let waiting = hashing.submit(|_| 2).unwrap();
        assert_eq!(hashing.submit(|_| 3).err(), Some(HashError::Busy));
        release.send(()).unwrap();
        assert_eq!(slow.await.unwrap(), Ok(()));
        assert_eq!(waiting.await, Ok(2));
        assert_eq!(hashing.run(|_| 7).await, Ok(7));
    }

    #[tokio::test]
    async fn a_request_that_waited_too_long_is_refused_and_never_runs() {
        let hashing = pool(1, 4, Duration::from_millis(50));
        let (slow, release) = hold(&hashing).await;
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let late = {
            let (hashing, ran) = (hashing.clone(), ran.clone());
            tokio::spawn(async move {
                hashing
                    .run(move |_| ran.store(true, std::sync::atomic::Ordering::SeqCst))
                    .await
            })
        };
        // Let the queued request's deadline pass while the worker is held.
        tokio::time::sleep(Duration::from_millis(100)).await;
        release.send(()).unwrap();
        slow.await.unwrap().unwrap();
        assert_eq!(late.await.unwrap(), Err(HashError::Busy));
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }
}
