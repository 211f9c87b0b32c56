//! Runs futures side by side on the page's one thread. In: futures (the
//! browser's file-system calls). Out: their outputs, in order, once all
//! are done. Every future is polled again on each wake-up, which costs
//! nothing beside a round trip to the browser for the few hundred calls of
//! a folder scan; futures_util's join_all (FuturesUnordered, per-task
//! wakers) did the same for 3 KB more gzipped wasm.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

pub async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (future, slot) in pending.iter_mut().zip(done.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *slot = Some(value),
                    Poll::Pending => all = false,
                }
            }
        }
        if all {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    done.into_iter().flatten().collect()
}
