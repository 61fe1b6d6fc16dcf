//! Stream plumbing of the connection actor (the TLS client itself is `crate::net`).

/// Wraps a stream so that after each item it returns `Pending` once (waking itself first).
///
/// actix drives an actor's stream for up to 16 items before letting other tasks on the
/// arbiter run. For the connection actor that means a burst of frames is parsed and queued
/// to the book actors before any book applies the first one, so the first frame of a burst
/// waits for the whole burst. Yielding after each frame lets the runtime run the book actor
/// (woken by the frame just routed) before the next frame is parsed.
pub(crate) struct YieldEach<S> {
    inner: S,
    yield_next: bool,
}

impl<S> YieldEach<S> {
    pub(crate) fn new(inner: S) -> Self {
        YieldEach {
            inner,
            yield_next: false,
        }
    }
}

impl<S: futures_core::Stream + Unpin> futures_core::Stream for YieldEach<S> {
    type Item = S::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<S::Item>> {
        use std::task::Poll;
        if self.yield_next {
            self.yield_next = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let polled = std::pin::Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(_)) = &polled {
            self.yield_next = true;
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::YieldEach;
    use futures_core::Stream;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn yields_once_after_each_item_and_wakes_itself() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut s = YieldEach::new(futures_util::stream::iter([1, 2]));
        let mut poll = || Pin::new(&mut s).poll_next(&mut cx);
        assert_eq!(poll(), Poll::Ready(Some(1)));
        assert_eq!(poll(), Poll::Pending);
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "woken to be polled again"
        );
        assert_eq!(poll(), Poll::Ready(Some(2)));
        assert_eq!(poll(), Poll::Pending);
        assert_eq!(poll(), Poll::Ready(None));
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
    }
}
