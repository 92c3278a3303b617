//! The event bus: a broadcast channel plus a bounded replay buffer for `Last-Event-ID` resume.

use std::collections::VecDeque;
use std::sync::Mutex;

use refine_model::Event;
use tokio::sync::broadcast;

/// What a subscriber gets first: the events it missed, or a resync marker when they are gone.
#[derive(Debug)]
pub enum Backlog {
    Events(Vec<Event>),
    /// The client is too far behind (or from another daemon run): reload state, then follow.
    Resync,
}

struct Ring {
    next_id: u64,
    buffer: VecDeque<Event>,
}

pub struct EventBus {
    ring: Mutex<Ring>,
    tx: broadcast::Sender<Event>,
    capacity: usize,
}

impl EventBus {
    pub fn new(capacity: usize) -> EventBus {
        let (tx, _) = broadcast::channel(capacity.max(16));
        // Ids continue across daemon runs: start from the clock (microseconds), so an id from a
        // previous run is always older than anything in this run's buffer.
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(1);
        EventBus {
            ring: Mutex::new(Ring {
                next_id: start,
                buffer: VecDeque::with_capacity(capacity),
            }),
            tx,
            capacity: capacity.max(1),
        }
    }

    /// Publish an event; returns it with its id.
    pub fn publish(&self, kind: &str, app_id: Option<String>, data: serde_json::Value) -> Event {
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let event = Event {
            id: ring.next_id.to_string(),
            kind: kind.to_string(),
            at: crate::clock::now(),
            app_id,
            data,
        };
        ring.next_id += 1;
        if ring.buffer.len() == self.capacity {
            ring.buffer.pop_front();
        }
        ring.buffer.push_back(event.clone());
        // Sent under the lock so subscribe() sees no gap and no duplicate.
        let _ = self.tx.send(event.clone());
        event
    }

    /// Subscribe; with `last_id`, also get what was published after it (or a resync marker).
    pub fn subscribe(&self, last_id: Option<&str>) -> (Backlog, broadcast::Receiver<Event>) {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let rx = self.tx.subscribe();
        let backlog = match last_id {
            None => Backlog::Events(Vec::new()),
            Some(raw) => match raw.trim().parse::<u64>() {
                Err(_) => Backlog::Resync,
                Ok(last) => {
                    let newest = ring.next_id - 1;
                    let oldest = ring
                        .buffer
                        .front()
                        .map(|e| e.id.parse::<u64>().unwrap_or(0));
                    if last > newest {
                        Backlog::Resync
                    } else if last == newest {
                        Backlog::Events(Vec::new())
                    } else {
                        match oldest {
                            // Nothing was kept, yet events were published after `last`.
                            None => Backlog::Resync,
                            Some(oldest) if last + 1 < oldest => Backlog::Resync,
                            Some(_) => Backlog::Events(
                                ring.buffer
                                    .iter()
                                    .filter(|e| e.id.parse::<u64>().unwrap_or(0) > last)
                                    .cloned()
                                    .collect(),
                            ),
                        }
                    }
                }
            },
        };
        (backlog, rx)
    }

    /// The id of the newest event (what a fresh subscriber would resume from).
    pub fn last_id(&self) -> String {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        (ring.next_id - 1).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resume_replays_missed_events_in_order() {
        let bus = EventBus::new(8);
        let a = bus.publish("x.a", None, json!(1));
        let b = bus.publish("x.b", None, json!(2));
        let c = bus.publish("x.c", None, json!(3));
        let (backlog, _) = bus.subscribe(Some(&a.id));
        match backlog {
            Backlog::Events(ev) => assert_eq!(ev, vec![b, c.clone()]),
            other => panic!("{other:?}"),
        }
        let (backlog, _) = bus.subscribe(Some(&c.id));
        assert!(matches!(backlog, Backlog::Events(v) if v.is_empty()));
    }

    #[test]
    fn too_far_behind_or_foreign_ids_resync() {
        let bus = EventBus::new(4);
        let first = bus.publish("x", None, json!(0));
        for i in 0..10 {
            bus.publish("x", None, json!(i));
        }
        assert!(matches!(bus.subscribe(Some(&first.id)).0, Backlog::Resync));
        assert!(matches!(bus.subscribe(Some("garbage")).0, Backlog::Resync));
        assert!(matches!(
            bus.subscribe(Some("99999999999999999")).0,
            Backlog::Resync
        ));
    }

    #[tokio::test]
    async fn live_events_follow_the_backlog_without_gaps() {
        let bus = EventBus::new(16);
        let a = bus.publish("x", None, json!(0));
        let (_, mut rx) = bus.subscribe(Some(&a.id));
        let b = bus.publish("y", None, json!(1));
        assert_eq!(rx.recv().await.unwrap(), b);
    }
}
