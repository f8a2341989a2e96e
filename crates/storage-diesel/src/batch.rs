//! Reads that wait on one thread, sent together by one task at a time: the PostgreSQL
//! statements of `crate::pipelined` and the SQLite read transactions of `crate::hot_reads`.
//!
//! The first read of a [`Queue`] that finds no task sending starts one ([`drain`]); the task
//! yields once, so that the other requests ready on the thread add their reads, takes
//! everything waiting and sends it, then does the same again until nothing waits. Reads that
//! arrive while a round is being sent wait for the next round.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// What waits to be sent, and whether a task is sending it.
pub(crate) struct Queue<W> {
    waiting: Vec<W>,
    /// A task is draining this queue; new items wait for its next round.
    scheduled: bool,
}

impl<W> Default for Queue<W> {
    fn default() -> Self {
        Self {
            waiting: Vec::new(),
            scheduled: false,
        }
    }
}

impl<W> Queue<W> {
    /// Adds `item`; true when no task is draining the queue, so the caller must start one.
    pub(crate) fn push(&mut self, item: W) -> bool {
        self.waiting.push(item);
        !std::mem::replace(&mut self.scheduled, true)
    }
}

/// Drains the queue `queue(&owner)` in rounds until it is empty: each round yields once,
/// takes everything waiting and passes it to `send`. A round that answers false (its
/// connection failed) ends the task. When the task ends without emptying the queue (that, or
/// its runtime stopped), the items still waiting are dropped, which answers them "use the
/// pool", and the next [`Queue::push`] starts a new task.
pub(crate) async fn drain<O, W: 'static, F, Fut>(
    owner: Arc<O>,
    queue: fn(&O) -> &Mutex<Queue<W>>,
    send: F,
) where
    F: FnMut(Vec<W>) -> Fut,
    Fut: Future<Output = bool>,
{
    let mut draining = Draining {
        owner,
        queue,
        done: false,
    };
    let mut send = send;
    loop {
        tokio::task::yield_now().await;
        let waiting = {
            let mut state = lock((draining.queue)(&draining.owner));
            if state.waiting.is_empty() {
                state.scheduled = false;
                draining.done = true;
                return;
            }
            std::mem::take(&mut state.waiting)
        };
        if !send(waiting).await {
            return;
        }
    }
}

/// The task draining a queue; dropped unfinished, it lets the waiting items go.
struct Draining<O, W: 'static> {
    owner: Arc<O>,
    queue: fn(&O) -> &Mutex<Queue<W>>,
    done: bool,
}

impl<O, W> Drop for Draining<O, W> {
    fn drop(&mut self) {
        if !self.done {
            let dropped = {
                let mut state = lock((self.queue)(&self.owner));
                state.scheduled = false;
                std::mem::take(&mut state.waiting)
            };
            drop(dropped);
        }
    }
}

/// A queue's or connection slot's state. Each is only locked briefly, never across an await,
/// and every change leaves it whole, so a poisoned lock is used as it is.
pub(crate) fn lock<T>(state: &Mutex<T>) -> MutexGuard<'_, T> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}
