//! Subscriber actors: one per subscription. Publishers write into the subscription's queue
//! directly; this actor owns the subscription's life: it flushes throttled book views on its
//! timer, forwards to a `Recipient` when the consumer is an actor, and unregisters the
//! subscription when the consumer goes away, telling the supervisor (which releases the
//! books and streams no feed wants any more).

use super::messages::{Stop, SubscriptionEnded};
use crate::runtime::events::FeedEvent;
use crate::runtime::hub::{Entry, Hub};
use crate::runtime::queue::Feed;
use actix::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// One subscription's owner.
pub struct SubscriberActor {
    entry: Arc<Entry>,
    hub: Arc<Hub>,
    throttle: Option<Duration>,
    recipient: Option<Recipient<FeedEvent>>,
    ended: Recipient<SubscriptionEnded>,
}

impl SubscriberActor {
    pub(crate) fn new(
        entry: Arc<Entry>,
        hub: Arc<Hub>,
        throttle: Option<Duration>,
        recipient: Option<Recipient<FeedEvent>>,
        ended: Recipient<SubscriptionEnded>,
    ) -> Self {
        SubscriberActor {
            entry,
            hub,
            throttle,
            recipient,
            ended,
        }
    }
}

impl Actor for SubscriberActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some(every) = self.throttle {
            ctx.run_interval(every, |act, _| act.entry.flush_throttled());
        }
        // Notice a consumer that went away (its `Feed` was dropped).
        ctx.run_interval(Duration::from_millis(200), |act, ctx| {
            if act.entry.queue.consumer_gone() {
                ctx.stop();
            }
        });
        if let Some(recipient) = self.recipient.take() {
            let mut feed = Feed::new(self.entry.queue.clone(), self.entry.id);
            // Awaiting each delivery gives backpressure: while the actor is busy, views
            // coalesce and trades/deltas are counted as lost in the queue.
            ctx.spawn(
                async move {
                    while let Some(event) = feed.recv().await {
                        if recipient.send(event).await.is_err() {
                            break;
                        }
                    }
                }
                .into_actor(self)
                .map(|_, _, ctx| ctx.stop()),
            );
        }
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        self.hub.remove(self.entry.id);
        self.entry.flush_throttled();
        self.entry.queue.close();
        self.ended.do_send(SubscriptionEnded { id: self.entry.id });
    }
}

impl Handler<Stop> for SubscriberActor {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
