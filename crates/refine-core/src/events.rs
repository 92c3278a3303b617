//! The event bus: a broadcast channel plus a bounded replay buffer for `Last-Event-ID` resume.
//! Each event is built once and shared (`Arc`) by the replay buffer, the broadcast buffer and
//! every subscriber: the busy streams (process output, transcripts) cost one copy, not one per
//! buffer and subscriber.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use refine_model::Event;
use serde::Serialize;
use tokio::sync::broadcast;

/// A declared kind of live event and the type of its `data`. Only the kinds of [`kind`] exist,
/// so publishing an undeclared kind, or the wrong data for a kind, does not compile.
pub struct Kind<T> {
    name: &'static str,
    data: PhantomData<fn(&T)>,
}

impl<T> Kind<T> {
    const fn new(name: &'static str) -> Kind<T> {
        Kind {
            name,
            data: PhantomData,
        }
    }
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<T> Clone for Kind<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Kind<T> {}

type DataTypeFn = fn(&mut specta::Types) -> specta::datatype::DataType;

/// What the registry and the generated bindings know of one declared kind.
pub struct KindInfo {
    pub name: &'static str,
    pub doc: &'static str,
    /// The TypeScript type of its `data`.
    pub data_type: DataTypeFn,
    /// The JSON Schema of its `data`.
    pub data_schema: fn() -> serde_json::Value,
}

fn data_type<T: specta::Type>(types: &mut specta::Types) -> specta::datatype::DataType {
    T::definition(types)
}

fn data_schema<T: schemars::JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default()
}

macro_rules! kinds {
    ($($(#[doc = $doc:literal])+ $id:ident = $name:literal: $ty:ty;)+) => {
        $( $(#[doc = $doc])+ pub const $id: super::Kind<$ty> = super::Kind::new($name); )+
        /// Every declared kind, in declaration order.
        pub const ALL: &[super::KindInfo] = &[$(super::KindInfo {
            name: $name,
            doc: concat!($($doc),+),
            data_type: super::data_type::<$ty>,
            data_schema: super::data_schema::<$ty>,
        }),+];
    };
}

/// Every kind of live event the daemon publishes. The registry (`refine-api`) says which
/// queries each makes stale; the UI's generated event map comes from both.
pub mod kind {
    use crate::import::ImportSummary;
    use crate::system::Empty;
    use crate::workflow::AutomationState;
    use refine_model::agents::{AgentRun, ProviderHold, WorkerInfo};
    use refine_model::event::*;
    use refine_model::process::{Preview, ProcessInfo};
    use refine_model::review::ReviewComment;
    use refine_model::terminal::TerminalInfo;
    use refine_model::webhooks::{Webhook, WebhookDelivery};
    use refine_model::work::{Feature, Goal, Reporter};
    use refine_model::{Activity, App, OperationReceipt};

    kinds! {
        /// An audit log entry was written (every mutation makes one).
        ACTIVITY_CREATED = "activity.created": Activity;
        /// An app was added.
        APPS_ADDED = "apps.added": App;
        /// An app was removed (its data stays in its folder).
        APPS_REMOVED = "apps.removed": IdRef;
        /// The active app changed.
        APPS_SELECTED = "apps.selected": AppSelected;
        /// An app's record changed (a rescan found a new shape).
        APPS_UPDATED = "apps.updated": App;
        /// The app's Git state changed through Refine (commit, revert, stage, unstage).
        CHANGES_UPDATED = "changes.updated": AppRef;
        /// A settings layer was written.
        SETTINGS_UPDATED = "settings.updated": SettingsChanged;
        /// A durable operation started, progressed or ended.
        OPERATIONS_UPDATED = "operations.updated": OperationReceipt;
        /// A browser session was made, used for the first time or revoked.
        SESSIONS_CHANGED = "sessions.changed": IdRef;
        /// The daemon is stopping.
        SYSTEM_SHUTDOWN = "system.shutdown": Empty;
        /// A node's announcement, health or drain state changed.
        NODES_UPDATED = "nodes.updated": crate::cluster::NodeInfo;
        /// A node left the cluster.
        NODES_REMOVED = "nodes.removed": IdRef;
        /// This node joined or left a cluster, or its link to NATS went down or came back.
        CLUSTER_CHANGED = "cluster.changed": crate::cluster::ClusterMembership;
        /// A Goal was created.
        GOAL_CREATED = "goals.created": Goal;
        /// A Goal changed (edited, moved, restored, a bulk edit).
        GOAL_UPDATED = "goals.updated": Goal;
        /// A Goal was deleted (it can be restored).
        GOAL_DELETED = "goals.deleted": Goal;
        /// A bulk edit of Goals finished.
        GOALS_BULK_UPDATED = "goals.bulk_updated": BulkUpdated;
        /// A Feature was created or changed (including its Goals and their order).
        FEATURE_UPDATED = "features.updated": Feature;
        /// A Feature was deleted.
        FEATURE_DELETED = "features.deleted": IdRef;
        /// An import committed its Goals and Features.
        WORK_IMPORTED = "import.committed": ImportSummary;
        /// A Goal moved through the workflow.
        WORKFLOW_TRANSITIONED = "workflow.transitioned": GoalTransitioned;
        /// Automation of an app was paused or resumed.
        WORKFLOW_AUTOMATION = "workflow.automation": AutomationState;
        /// A reporter was created, renamed or merged.
        REPORTERS_UPDATED = "reporters.updated": Reporter;
        /// A reporter's todo list changed.
        TODOS_UPDATED = "todos.updated": TodosChanged;
        /// An agent profile was saved.
        AGENTS_PROFILE_SAVED = "agents.profiles.saved": ProfileSaved;
        /// An agent profile was deleted, or a provider's own reset to its default.
        AGENTS_PROFILE_DELETED = "agents.profiles.deleted": crate::agents::ProfileDeleted;
        /// Agent detection ran again.
        AGENTS_DETECTED = "agents.detected": AgentsDetected;
        /// An agent run started or ended (usage, session, outcome).
        AGENTS_RUN = "agents.run": AgentRun;
        /// New entries of a running agent's transcript (streams; makes nothing stale).
        AGENTS_TRANSCRIPT = "agents.transcript": TranscriptBatch;
        /// The runner was paused.
        RUNNER_PAUSED = "runner.paused": RunnerPaused;
        /// The runner was resumed.
        RUNNER_RESUMED = "runner.resumed": RunnerPaused;
        /// A Goal's worker changed phase or progress.
        RUNNER_WORKER = "runner.worker": WorkerInfo;
        /// A Goal's worker ended (its slot is free).
        RUNNER_WORKER_ENDED = "runner.worker_ended": GoalRef;
        /// A person stopped a Goal's worker.
        RUNNER_STOPPED = "runner.stopped": GoalRef;
        /// A Round's work record changed.
        RUNNER_ROUND = "runner.round": RoundChanged;
        /// A review comment was added, edited, resolved, reopened or deleted.
        REVIEW_COMMENT = "review.comment": ReviewComment;
        /// A preview started, answered on its port, or stopped.
        PREVIEW_CHANGED = "preview.changed": Preview;
        /// A webhook was added, changed or deleted.
        WEBHOOK_CHANGED = "webhook.changed": Webhook;
        /// A webhook delivery was attempted (delivered, retried later or given up).
        WEBHOOK_DELIVERY = "webhook.delivery": WebhookDelivery;
        /// A provider profile is held (rate limit or refused credentials).
        RUNNER_HOLD = "runner.hold": ProviderHold;
        /// A hold on a provider profile was lifted.
        RUNNER_HOLD_RELEASED = "runner.hold_released": HoldReleased;
        /// The quality checks of a Round were evaluated.
        QUALITY_EVALUATED = "quality.evaluated": QualityEvaluated;
        /// The app's quality settings were written.
        QUALITY_UPDATED = "quality.updated": AppRevision;
        /// The app's governance (product statement, constitution, rules) was written.
        GOVERNANCE_UPDATED = "governance.updated": AppRevision;
        /// The app's guidance was written.
        GUIDANCE_UPDATED = "guidance.updated": AppRevision;
        /// The app's lifecycle commands were configured.
        TARGET_UPDATED = "target.updated": AppRef;
        /// The app's health probe changed its answer.
        TARGET_HEALTH = "target.health": TargetHealth;
        /// A supervised process started.
        PROCESSES_STARTED = "processes.started": ProcessInfo;
        /// New output of a supervised process (streams; makes nothing stale).
        PROCESSES_OUTPUT = "processes.output": ProcessOutput;
        /// A supervised process ended.
        PROCESSES_EXITED = "processes.exited": ProcessInfo;
        /// Files changed on disk (the watcher, for any writer).
        FILES_CHANGED = "files.changed": FilesChanged;
        /// Refine wrote a file.
        FILES_WRITTEN = "files.written": FileWritten;
        /// Refine created a file or directory.
        FILES_CREATED = "files.created": FileTouched;
        /// Refine renamed a file or directory.
        FILES_RENAMED = "files.renamed": FileRenamed;
        /// Refine deleted a file or directory.
        FILES_DELETED = "files.deleted": FileTouched;
        /// A terminal session was opened.
        TERMINAL_CREATED = "terminal.created": TerminalInfo;
        /// A terminal session was renamed or resized.
        TERMINAL_UPDATED = "terminal.updated": TerminalInfo;
        /// A terminal session's program ended.
        TERMINAL_EXITED = "terminal.exited": TerminalInfo;
        /// A terminal session was closed.
        TERMINAL_CLOSED = "terminal.closed": TerminalClosed;
        /// A chat thread was created or renamed.
        CHAT_THREAD = "chat.thread": ChatThreadChanged;
        /// A chat thread was deleted.
        CHAT_DELETED = "chat.deleted": IdRef;
        /// A chat message was added, or an agent's reply finished.
        CHAT_MESSAGE = "chat.message": ChatMessageAdded;
        /// More text of an agent's chat reply (streams; makes nothing stale).
        CHAT_DELTA = "chat.delta": ChatDelta;
        /// The client missed events: fetch everything again, then follow (sent only to it).
        RESYNC = "resync": Resync;
    }
}

/// What a subscriber gets first: the events it missed, or a resync marker when they are gone.
#[derive(Debug)]
pub enum Backlog {
    Events(Vec<Arc<Event>>),
    /// The client is too far behind (or from another daemon run): reload state, then follow.
    Resync,
}

struct Ring {
    next_id: u64,
    buffer: VecDeque<Arc<Event>>,
}

pub struct EventBus {
    ring: Mutex<Ring>,
    tx: broadcast::Sender<Arc<Event>>,
    capacity: usize,
    /// Events published by this run.
    published: std::sync::atomic::AtomicU64,
    /// Subscribers that want only some events (see [`EventBus::subscribe_filtered`]).
    filtered: Mutex<Vec<Filtered>>,
}

/// Which events a filtered subscriber takes (asked as each event is published).
pub type EventFilter = Box<dyn Fn(&Event) -> bool + Send + Sync>;

struct Filtered {
    wants: EventFilter,
    tx: tokio::sync::mpsc::Sender<FilteredEvent>,
    /// Events it could not take (its queue was full), told with the next one it takes.
    missed: u64,
}

/// What a filtered subscriber receives: an event, and how many before it were dropped because
/// its queue was full (it fell behind).
pub type FilteredEvent = (Arc<Event>, u64);

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
            published: Default::default(),
            filtered: Mutex::new(Vec::new()),
        }
    }

    /// Publish an event of a declared kind; returns it with its id.
    pub fn publish<T: Serialize>(
        &self,
        kind: Kind<T>,
        app_id: Option<String>,
        data: &T,
    ) -> Arc<Event> {
        self.publish_value(
            kind.name,
            app_id,
            serde_json::to_value(data).unwrap_or_default(),
        )
    }

    /// A resync marker for one subscriber: it gets an id of its own (never shared with an
    /// event), so a client resuming from it follows on from this point; it is not kept.
    pub fn resync(&self, reason: &str) -> Event {
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let id = ring.next_id;
        ring.next_id += 1;
        Event {
            id: id.to_string(),
            kind: kind::RESYNC.name.to_string(),
            at: crate::clock::now(),
            app_id: None,
            data: serde_json::json!({ "reason": reason }),
        }
    }

    /// Publish with the kind and data already checked by `publish` or the pipeline.
    pub(crate) fn publish_value(
        &self,
        kind: &'static str,
        app_id: Option<String>,
        data: serde_json::Value,
    ) -> Arc<Event> {
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let event = Arc::new(Event {
            id: ring.next_id.to_string(),
            kind: kind.to_string(),
            at: crate::clock::now(),
            app_id,
            data,
        });
        ring.next_id += 1;
        self.published
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if ring.buffer.len() == self.capacity {
            ring.buffer.pop_front();
        }
        ring.buffer.push_back(event.clone());
        // Sent under the lock so subscribe() sees no gap and no duplicate.
        let _ = self.tx.send(event.clone());
        let mut filtered = self.filtered.lock().unwrap_or_else(|p| p.into_inner());
        if !filtered.is_empty() {
            filtered.retain_mut(|f| {
                if f.tx.is_closed() {
                    return false;
                }
                if (f.wants)(&event) {
                    match f.tx.try_send((event.clone(), f.missed)) {
                        Ok(()) => f.missed = 0,
                        Err(_) => f.missed += 1,
                    }
                }
                true
            });
        }
        event
    }

    /// Subscribe to the events `wants` takes, from now on. Unlike [`EventBus::subscribe`], an
    /// uninterested subscriber is not woken for every event (the busy streams — process
    /// output, transcripts — cost it nothing). Holds up to `queue` events; past that events are
    /// dropped and counted (the count comes with the next event it gets).
    pub fn subscribe_filtered(
        &self,
        queue: usize,
        wants: EventFilter,
    ) -> tokio::sync::mpsc::Receiver<FilteredEvent> {
        let (tx, rx) = tokio::sync::mpsc::channel(queue.max(1));
        self.filtered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Filtered {
                wants,
                tx,
                missed: 0,
            });
        rx
    }

    /// Subscribe; with `last_id`, also get what was published after it (or a resync marker).
    pub fn subscribe(&self, last_id: Option<&str>) -> (Backlog, broadcast::Receiver<Arc<Event>>) {
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

    /// Subscribers now, events the slowest of them has not taken yet, events published by this
    /// run.
    pub fn stats(&self) -> (usize, usize, u64) {
        (
            self.tx.receiver_count(),
            self.tx.len(),
            self.published.load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// The id of the newest event (what a fresh subscriber would resume from).
    pub fn last_id(&self) -> String {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        (ring.next_id - 1).to_string()
    }
}

/// Something that needs a person, as a notification says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attention {
    pub title: String,
    pub body: String,
    /// The Goal a click opens (none: the Runner page).
    pub goal_id: Option<String>,
}

/// Whether an event needs a person: a Goal reached review or failed, or a provider is held (a
/// rate limit, refused credentials). The desktop's native notifications follow these rules, as
/// the browser's bell does (`ui/src/components/Notifier.tsx`).
pub fn needs_you(kind_name: &str, data: &serde_json::Value) -> Option<Attention> {
    if kind_name == kind::WORKFLOW_TRANSITIONED.name() {
        let g = &data["goal"];
        let (number, title, id) = (&g["number"], g["title"].as_str()?, g["id"].as_str()?);
        let title_of = |what: &str| format!("#{number} {what}");
        let head = match data["to"].as_str()? {
            "review" => title_of("is ready for review"),
            "failed" => title_of("failed"),
            _ => return None,
        };
        return Some(Attention {
            title: head,
            body: title.to_string(),
            goal_id: Some(id.to_string()),
        });
    }
    if kind_name == kind::RUNNER_HOLD.name() {
        return Some(Attention {
            title: format!("{} is held", data["profile"].as_str()?),
            body: data["reason"].as_str().unwrap_or_default().to_string(),
            goal_id: None,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_filtered_subscriber_gets_its_events_in_order_and_hears_of_drops() {
        let bus = EventBus::new(64);
        let mut rx = bus.subscribe_filtered(2, Box::new(|e| e.kind.starts_with("goals.")));
        let g = serde_json::json!({});
        bus.publish_value("goals.created", None, g.clone());
        bus.publish_value("processes.output", None, g.clone());
        bus.publish_value("goals.updated", None, g.clone());
        // The queue holds two: these are dropped and counted.
        bus.publish_value("goals.deleted", None, g.clone());
        bus.publish_value("goals.deleted", None, g.clone());
        let (a, missed) = rx.recv().await.unwrap();
        assert_eq!((a.kind.as_str(), missed), ("goals.created", 0));
        let (b, _) = rx.recv().await.unwrap();
        assert_eq!(b.kind, "goals.updated");
        bus.publish_value("goals.created", None, g.clone());
        let (c, missed) = rx.recv().await.unwrap();
        assert_eq!((c.kind.as_str(), missed), ("goals.created", 2));
        assert!(rx.try_recv().is_err(), "nothing else was taken");
        // A dropped receiver is let go at the next publish.
        drop(rx);
        bus.publish_value("goals.created", None, g);
        assert!(bus.filtered.lock().unwrap().is_empty());
    }
    use serde_json::json;

    const XA: Kind<i32> = Kind::new("x.a");
    const XB: Kind<i32> = Kind::new("x.b");
    const XC: Kind<i32> = Kind::new("x.c");

    #[test]
    fn resume_replays_missed_events_in_order() {
        let bus = EventBus::new(8);
        let a = bus.publish(XA, None, &1);
        let b = bus.publish(XB, None, &2);
        let c = bus.publish(XC, None, &3);
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
        let first = bus.publish(XA, None, &0);
        for i in 0..10 {
            bus.publish(XA, None, &i);
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
        let a = bus.publish(XA, None, &0);
        let (_, mut rx) = bus.subscribe(Some(&a.id));
        let b = bus.publish(XB, None, &1);
        assert_eq!(rx.recv().await.unwrap(), b);
    }

    #[test]
    fn a_resync_has_an_id_of_its_own_and_resumes_from_there() {
        let bus = EventBus::new(8);
        let a = bus.publish(XA, None, &1);
        let r = bus.resync("test");
        assert_eq!(r.kind, "resync");
        assert_ne!(r.id, a.id, "a resync never reuses an event's id");
        assert!(matches!(bus.subscribe(Some(&r.id)).0, Backlog::Events(v) if v.is_empty()));
        let b = bus.publish(XB, None, &2);
        assert_ne!(b.id, r.id);
        match bus.subscribe(Some(&r.id)).0 {
            Backlog::Events(ev) => assert_eq!(ev, vec![b]),
            other => panic!("{other:?}"),
        }
        assert_eq!(a.data, json!(1));
    }

    #[test]
    fn a_goal_in_review_failed_or_a_held_provider_needs_a_person() {
        let moved = |to: &str| json!({"goalId": "g1", "from": "governance", "to": to, "newRound": false, "goal": {"id": "g1", "number": 12, "title": "Coupon field"}});
        let review = needs_you("workflow.transitioned", &moved("review")).unwrap();
        assert_eq!(review.title, "#12 is ready for review");
        assert_eq!(
            (review.body.as_str(), review.goal_id.as_deref()),
            ("Coupon field", Some("g1"))
        );
        assert_eq!(
            needs_you("workflow.transitioned", &moved("failed"))
                .unwrap()
                .title,
            "#12 failed"
        );
        assert_eq!(needs_you("workflow.transitioned", &moved("quality")), None);
        let held = needs_you("runner.hold", &json!({"profile": "claude-code", "kind": "limit", "reason": "rate limited until 10:00", "since": "t"})).unwrap();
        assert_eq!(
            (held.title.as_str(), held.goal_id),
            ("claude-code is held", None)
        );
        assert_eq!(needs_you("work.goal_created", &json!({})), None);
    }

    #[test]
    fn declared_kinds_are_unique_and_documented() {
        let mut names: Vec<&str> = kind::ALL.iter().map(|k| k.name).collect();
        assert!(kind::ALL.iter().all(|k| !k.doc.trim().is_empty()));
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "an event kind is declared twice");
    }
}
