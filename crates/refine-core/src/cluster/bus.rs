//! The NATS side of the cluster: the connection (its own reconnects tracked as the link's
//! state), two JetStream key-value buckets (`refine-nodes`: each node's announcement under its
//! id, refreshed every beat; `refine-control`: drain requests under `drain.<node id>`), the
//! heartbeat, and the watchers that hand what they hear to the core, validated.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use futures::StreamExt;

use super::{parse_announcement, ClusterConfig, MAX_MESSAGE, STATE_VERSION};
use crate::{clock, Core};

const NODES: &str = "refine-nodes";
const CONTROL: &str = "refine-control";
const WORK: &str = "refine-work";
const LEASES: &str = "refine-leases";

/// Why a connection could not be made.
#[derive(Debug)]
pub(crate) enum ConnectFailure {
    /// The servers answered and refused (credentials, TLS).
    Refused(String),
    /// No server answered.
    Unreachable(String),
}

impl std::fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectFailure::Refused(m) | ConnectFailure::Unreachable(m) => f.write_str(m),
        }
    }
}

/// Why a lease could not be renewed.
pub(crate) enum LeaseLost {
    /// Another node holds it now.
    Lost(String),
    /// The bus did not answer (the lease may still be this node's).
    Unknown(String),
}

fn lease_value(node: &str) -> Vec<u8> {
    serde_json::json!({ "stateVersion": STATE_VERSION, "node": node, "at": clock::now() })
        .to_string()
        .into_bytes()
}

/// A live connection and its buckets. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Bus {
    js: jetstream::Context,
    replicas: usize,
    nodes: kv::Store,
    control: kv::Store,
    work: kv::Store,
    leases: kv::Store,
    poke: Arc<tokio::sync::Notify>,
    client: async_nats::Client,
}

impl Bus {
    /// Connect once (no retry: a join wants the answer now) and open the buckets.
    pub(crate) async fn connect(config: &ClusterConfig, node: &str) -> Result<Bus, ConnectFailure> {
        Self::open(config, node, None).await
    }

    async fn open(
        config: &ClusterConfig,
        node: &str,
        link: Option<std::sync::Weak<crate::Inner>>,
    ) -> Result<Bus, ConnectFailure> {
        let mut opts = async_nats::ConnectOptions::new()
            .name(format!("refine node {node}"))
            .connection_timeout(Duration::from_secs(5))
            .request_timeout(Some(Duration::from_secs(5)));
        if let (Some(u), Some(p)) = (&config.user, &config.password) {
            opts = opts.user_and_password(u.clone(), p.clone());
        }
        if config.urls.iter().any(|u| u.starts_with("tls://")) {
            opts = opts.require_tls(true);
        }
        if let Some(weak) = link {
            opts = opts.event_callback(move |event| {
                let weak = weak.clone();
                async move {
                    let Some(inner) = weak.upgrade() else { return };
                    let core = Core(inner);
                    match event {
                        async_nats::Event::Connected => core.set_link(|l| {
                            l.connected = true;
                            l.error = None;
                            l.since = Some(clock::now());
                        }),
                        async_nats::Event::Disconnected => core.set_link(|l| {
                            l.connected = false;
                            l.error = Some("lost the connection to NATS; reconnecting".into());
                        }),
                        other => tracing::debug!(event = %other, "NATS"),
                    }
                }
            });
        }
        let urls = config.urls.join(",");
        let client = opts.connect(config.urls.clone()).await.map_err(|e| {
            use async_nats::ConnectErrorKind as K;
            match e.kind() {
                K::AuthorizationViolation | K::Authentication => ConnectFailure::Refused(format!(
                    "the NATS server at {urls} refused the credentials ({e}); nothing was saved"
                )),
                K::Tls => ConnectFailure::Refused(format!(
                    "TLS with the NATS server at {urls} failed ({e}); nothing was saved"
                )),
                K::ServerParse => {
                    ConnectFailure::Refused(format!("cannot read the server URLs {urls}: {e}"))
                }
                _ => ConnectFailure::Unreachable(format!(
                    "could not reach NATS at {urls} ({e}); nothing was saved"
                )),
            }
        })?;
        let js = jetstream::new(client.clone());
        // Three replicas when the servers are clustered (a bucket must outlive one of them),
        // one on a lone server.
        let replicas = if client.server_info().cluster.is_some() {
            3
        } else {
            1
        };
        let nodes = bucket(&js, NODES, Duration::from_secs(3600), replicas).await?;
        let control = bucket(&js, CONTROL, Duration::ZERO, replicas).await?;
        let work = bucket(&js, WORK, Duration::ZERO, replicas).await?;
        let leases = bucket(&js, LEASES, Duration::ZERO, replicas).await?;
        Ok(Bus {
            js,
            replicas,
            nodes,
            control,
            work,
            leases,
            poke: Arc::new(tokio::sync::Notify::new()),
            client,
        })
    }

    /// Ask node `id` to drain (or take work again).
    pub(crate) async fn request_drain(&self, id: &str, drain: bool) -> Result<(), String> {
        let body = serde_json::json!({ "stateVersion": STATE_VERSION, "draining": drain });
        // Tried for a few seconds: while a server that led the bucket is replaced, writes are
        // refused for a moment.
        let mut wait = Duration::from_millis(100);
        loop {
            match self
                .control
                .put(format!("drain.{id}"), body.to_string().into())
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if wait > Duration::from_secs(3) => {
                    return Err(format!("could not reach the cluster: {e}"))
                }
                Err(_) => {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        }
    }

    /// Put a work document (JSON) under its key, over the revision last seen there (`None`:
    /// only if the key is new): its new revision; `Ok(None)`: someone else wrote it meanwhile.
    pub(crate) async fn put_work(
        &self,
        key: &str,
        body: Vec<u8>,
        over: Option<u64>,
    ) -> Result<Option<u64>, String> {
        let written = match over {
            Some(rev) => self.work.update(key, body.into(), rev).await.map_err(|e| {
                (
                    e.kind() == kv::UpdateErrorKind::WrongLastRevision,
                    e.to_string(),
                )
            }),
            None => self.work.create(key, body.into()).await.map_err(|e| {
                (
                    e.kind() == kv::CreateErrorKind::AlreadyExists,
                    e.to_string(),
                )
            }),
        };
        match written {
            Ok(rev) => Ok(Some(rev)),
            Err((true, _)) => Ok(None),
            Err((false, e)) => Err(format!("could not publish {key}: {e}")),
        }
    }

    /// The first of `count` consecutive Goal numbers for the app (never below `floor`), taken
    /// with compare-and-set.
    pub(crate) async fn next_number(
        &self,
        app_key: &str,
        floor: u32,
        count: u32,
    ) -> Result<u32, String> {
        let key = format!("n.{app_key}");
        for _ in 0..50 {
            let entry = self.work.entry(&key).await.map_err(|e| e.to_string())?;
            let (last, rev) = match &entry {
                Some(e) if e.operation == kv::Operation::Put => (
                    std::str::from_utf8(&e.value)
                        .ok()
                        .and_then(|s| s.trim().parse::<u32>().ok())
                        .unwrap_or(0),
                    Some(e.revision),
                ),
                Some(e) => (0, Some(e.revision)),
                None => (0, None),
            };
            let next = (last + 1).max(floor);
            let value = (next + count.max(1) - 1).to_string().into_bytes();
            let done = match rev {
                Some(r) => self.work.update(&key, value.into(), r).await.is_ok(),
                None => self.work.create(&key, value.into()).await.is_ok(),
            };
            if done {
                return Ok(next);
            }
        }
        Err("too many nodes took numbers at once".into())
    }

    /// Take a Goal's lease: `Some(revision)` when this node holds it now (it was free, or its
    /// holder let it go stale for `ttl`), `None` when another node holds it.
    pub(crate) async fn take_lease(
        &self,
        goal: &str,
        node: &str,
        ttl: Duration,
    ) -> Result<Option<u64>, String> {
        let value = lease_value(node);
        match self.leases.create(goal, value.clone().into()).await {
            Ok(rev) => return Ok(Some(rev)),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.to_string()),
        }
        let Some(e) = self.leases.entry(goal).await.map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let holder = serde_json::from_slice::<serde_json::Value>(&e.value)
            .ok()
            .and_then(|v| v["node"].as_str().map(str::to_string));
        let age = time::OffsetDateTime::now_utc() - e.created;
        let stale = age > time::Duration::try_from(ttl).unwrap_or(time::Duration::MAX);
        if e.operation == kv::Operation::Put && holder.as_deref() != Some(node) && !stale {
            return Ok(None);
        }
        match self.leases.update(goal, value.into(), e.revision).await {
            Ok(rev) => Ok(Some(rev)),
            Err(_) => Ok(None),
        }
    }

    /// The value and revision under a work key now (`None`: never written, or deleted).
    pub(crate) async fn work_entry(&self, key: &str) -> Result<Option<(Vec<u8>, u64)>, String> {
        match self.work.entry(key).await {
            Ok(Some(e)) if e.operation == kv::Operation::Put => {
                Ok(Some((e.value.to_vec(), e.revision)))
            }
            Ok(_) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    /// A request to one node and its answer (`Err` with why when none came within `wait`).
    pub(crate) async fn request(
        &self,
        subject: String,
        body: Vec<u8>,
        wait: Duration,
    ) -> Result<Vec<u8>, String> {
        match tokio::time::timeout(wait, self.client.request(subject, body.into())).await {
            Ok(Ok(m)) => Ok(m.payload.to_vec()),
            Ok(Err(e)) if e.kind() == async_nats::RequestErrorKind::NoResponders => {
                Err("it is not listening".into())
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {} s", wait.as_secs())),
        }
    }

    pub(crate) async fn subscribe(
        &self,
        subject: String,
    ) -> Result<async_nats::Subscriber, String> {
        self.client
            .subscribe(subject)
            .await
            .map_err(|e| e.to_string())
    }

    /// Answer a request on its reply subject (best effort: the asker times out otherwise).
    pub(crate) async fn answer(&self, reply: async_nats::Subject, body: Vec<u8>) {
        let _ = self.client.publish(reply, body.into()).await;
    }

    /// Renew a lease held at revision `rev`.
    pub(crate) async fn keep_lease(
        &self,
        goal: &str,
        node: &str,
        rev: u64,
    ) -> Result<u64, LeaseLost> {
        match self
            .leases
            .update(goal, lease_value(node).into(), rev)
            .await
        {
            Ok(r) => Ok(r),
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Err(LeaseLost::Lost(
                "another node took it after it went stale".into(),
            )),
            Err(e) => Err(LeaseLost::Unknown(e.to_string())),
        }
    }

    /// Let a lease go (only if still `node`'s, at `rev`). `Err(why)`: it was not, another node
    /// took it after this node's went stale (and may have let it go since).
    pub(crate) async fn drop_lease(&self, goal: &str, node: &str, rev: u64) -> Result<(), String> {
        match self.leases.delete_expect_revision(goal, Some(rev)).await {
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {}
            // Let go, or the bus is away (the lease goes stale on its own).
            _ => return Ok(()),
        }
        let taken = "after this node's lease went stale";
        match self.leases.entry(goal).await {
            Ok(Some(e)) if e.operation == kv::Operation::Put => {
                let holder = serde_json::from_slice::<serde_json::Value>(&e.value)
                    .ok()
                    .and_then(|v| v["node"].as_str().map(str::to_string))
                    .unwrap_or_default();
                if holder == node {
                    return Ok(()); // not let go (it goes stale), but never another's
                }
                Err(format!("node {holder} took it {taken}"))
            }
            Ok(_) => Err(format!(
                "another node took it {taken}, and has let it go since"
            )),
            Err(_) => Ok(()),
        }
    }

    /// Say this node has left (best effort).
    pub(crate) async fn withdraw(&self, id: &str) {
        let _ = self.nodes.delete(id).await;
    }

    /// Make the buckets again if they are gone (the servers lost their storage).
    async fn ensure_buckets(&self) {
        for (name, age) in [
            (NODES, Duration::from_secs(3600)),
            (CONTROL, Duration::ZERO),
            (WORK, Duration::ZERO),
            (LEASES, Duration::ZERO),
        ] {
            if let Err(e) = bucket(&self.js, name, age, self.replicas).await {
                tracing::debug!(error = %e, bucket = name, "re-making a bucket");
            }
        }
    }

    pub(crate) fn poke(&self) {
        self.poke.notify_one();
    }
}

/// Open a bucket, making it if nobody has (tried a few times: a cluster that just formed may
/// not have placed it yet).
async fn bucket(
    js: &jetstream::Context,
    name: &str,
    max_age: Duration,
    replicas: usize,
) -> Result<kv::Store, ConnectFailure> {
    let mut last = String::new();
    for attempt in 0..5 {
        if let Ok(s) = js.get_key_value(name).await {
            return Ok(s);
        }
        match js
            .create_key_value(kv::Config {
                bucket: name.to_string(),
                description: "Refine cluster".into(),
                max_value_size: MAX_MESSAGE as i32,
                history: 1,
                max_age,
                num_replicas: replicas,
                ..Default::default()
            })
            .await
        {
            Ok(s) => return Ok(s),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
    }
    Err(ConnectFailure::Unreachable(format!(
        "NATS JetStream could not make the {name} bucket: {last}"
    )))
}

/// Keep this node in the cluster until `stop`: connect (again and again while NATS is away),
/// announce every beat, hear the others and the drain requests.
pub(crate) async fn run(
    core: Core,
    config: ClusterConfig,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let node = core.node_id().to_string();
    let ttl = Duration::from_secs(config.ttl_secs as u64);
    let beat = (ttl / 5).max(Duration::from_millis(500));
    let mut backoff = Duration::from_millis(500);
    let bus = loop {
        if *stop.borrow() {
            return;
        }
        match Bus::open(&config, &node, Some(Arc::downgrade(&core.0))).await {
            Ok(b) => break b,
            Err(e) => {
                core.set_link(|l| {
                    l.connected = false;
                    l.error = Some(e.to_string().replace("; nothing was saved", ""));
                });
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    };
    core.set_link(|l| {
        l.connected = true;
        l.error = None;
        l.since = Some(clock::now());
        l.bus = Some(bus.clone());
    });
    tracing::info!(urls = %config.urls.join(","), "joined the cluster");
    core.republish_all();
    let tasks = [
        tokio::spawn(watch_work(core.clone(), bus.clone())),
        tokio::spawn(publish(core.clone(), bus.clone())),
        tokio::spawn(heartbeat(core.clone(), bus.clone(), beat)),
        tokio::spawn(watch_nodes(core.clone(), bus.clone(), ttl)),
        tokio::spawn(super::decide::serve(
            core.clone(),
            bus.clone(),
            node.clone(),
        )),
        tokio::spawn(watch_control(
            core.clone(),
            bus.clone(),
            node.clone(),
            ttl * 2,
        )),
    ];
    let mut shutdown = core.shutdown_signal();
    tokio::select! {
        _ = stop.changed() => {}
        _ = shutdown.changed() => {}
    }
    for t in tasks {
        t.abort();
    }
}

async fn heartbeat(core: Core, bus: Bus, beat: Duration) {
    let mut failing = false;
    let mut kept = std::time::Instant::now() - beat;
    loop {
        let a = core.announcement().await;
        let body = serde_json::to_vec(&a).expect("announcement serializes");
        match bus.nodes.put(&a.id, body.into()).await {
            Ok(_) => {
                if failing {
                    failing = false;
                    core.set_link(|l| {
                        l.connected = true;
                        l.error = None;
                    });
                }
            }
            Err(e) => {
                failing = true;
                core.set_link(|l| {
                    l.connected = false;
                    l.error = Some(format!("cannot announce this node: {e}"));
                });
                if e.to_string().contains("no stream") {
                    bus.ensure_buckets().await;
                }
            }
        }
        // Leases are renewed every beat, not on each announcement a change of work asks for.
        if kept.elapsed() >= beat {
            kept = std::time::Instant::now();
            core.keep_leases(&bus).await;
        }
        core.sweep_health(false).await;
        tokio::select! {
            _ = tokio::time::sleep(beat) => {}
            _ = bus.poke.notified() => {}
        }
    }
}

/// Hear every node's announcements. A watch that goes quiet for a TTL while announcements are
/// due every beat has lost its consumer (its server went away): it is made again, and a new
/// watch starts with every key's latest value, so nothing is missed.
async fn watch_nodes(core: Core, bus: Bus, quiet: Duration) {
    loop {
        match bus.nodes.watch_with_history(">").await {
            Ok(mut w) => loop {
                let e = match tokio::time::timeout(quiet, w.next()).await {
                    Ok(Some(Ok(e))) => e,
                    _ => break,
                };
                match e.operation {
                    kv::Operation::Put => match parse_announcement(&e.key, &e.value) {
                        Ok(a) => core.heard(a, clock::format(e.created)).await,
                        Err(why) => core.reject(why),
                    },
                    kv::Operation::Delete | kv::Operation::Purge => core.forget_node(&e.key).await,
                }
            },
            Err(e) => tracing::debug!(error = %e, "watching the nodes bucket"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Hear the shared Features and Goals. Work may be quiet for long, so this watch is not remade
/// on silence; it is remade when it ends or errs (and after a reconnect everything is heard
/// again from the start: applying is idempotent). Every watch here starts with each key's latest
/// value (`watch_with_history`; a plain `watch` would hear only what changes afterwards).
async fn watch_work(core: Core, bus: Bus) {
    loop {
        core.set_synced(false);
        core.forget_heard_rounds();
        let empty = bus
            .work
            .status()
            .await
            .map(|s| s.values() == 0)
            .unwrap_or(false);
        match bus.work.watch_with_history(">").await {
            Ok(mut w) => {
                if empty {
                    core.set_synced(true);
                }
                while let Some(Ok(e)) = w.next().await {
                    if e.operation == kv::Operation::Put {
                        core.heard_work(&e.key, &e.value, e.revision).await;
                    }
                    if e.delta == 0 {
                        core.set_synced(true);
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "watching the work bucket"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Publish this node's changes: woken by its own events, and every few seconds anyway (what
/// could not go out while NATS was away goes out then).
async fn publish(core: Core, bus: Bus) {
    let mut rx = core.bus().subscribe_filtered(
        256,
        Box::new(|e| {
            let k = e.kind.as_str();
            k.starts_with("goals.")
                || k.starts_with("features.")
                || k.starts_with("apps.")
                || k == "workflow.transitioned"
                || k == "import.committed"
                || k == "runner.round"
                || k == "agents.run"
                || k == "quality.evaluated"
        }),
    );
    loop {
        // Not before the bus's copies were heard: a stale local copy must not overwrite them.
        while core.synced_for().is_none() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if let Err(e) = core.publish_work(&bus).await {
            tracing::debug!(error = %e, "publishing shared work");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        tokio::select! {
            e = rx.recv() => match e {
                Some(first) => {
                    // All that came, not one event a pass: the queue is bounded.
                    let mut missed = 0;
                    let mut next = Some(first);
                    while let Some((e, m)) = next {
                        missed += m;
                        if e.kind.starts_with("apps.") {
                            core.forget_app_keys();
                        }
                        // A Round's evidence changed (its work, a run, an evaluation).
                        if let (Some(goal), Some(round)) =
                            (e.data["goalId"].as_str(), e.data["round"].as_u64())
                        {
                            core.round_changed(goal, round as u32);
                        }
                        next = rx.try_recv().ok();
                    }
                    if missed > 0 {
                        // Changes were dropped from the full queue: look over every Round.
                        core.forget_app_keys();
                        core.sweep_rounds_soon();
                    }
                }
                None => return,
            },
            _ = core.cluster().shared.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(3)) => {}
        }
        // Let a burst of changes gather.
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// Hear drain requests for this node. Each revision is applied once (a re-made watch delivers
/// the latest again).
async fn watch_control(core: Core, bus: Bus, node: String, quiet: Duration) {
    let mut applied = 0u64;
    loop {
        match bus
            .control
            .watch_with_history(format!("drain.{node}"))
            .await
        {
            Ok(mut w) => loop {
                let e = match tokio::time::timeout(quiet, w.next()).await {
                    Ok(Some(Ok(e))) => e,
                    _ => break,
                };
                if e.operation != kv::Operation::Put || e.revision <= applied {
                    continue;
                }
                applied = e.revision;
                match parse_drain(&e.value) {
                    Ok(d) => core.apply_drain(d).await,
                    Err(why) => core.reject(format!("{}: {why}", e.key)),
                }
            },
            Err(e) => tracing::debug!(error = %e, "watching the control bucket"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn parse_drain(raw: &[u8]) -> Result<bool, String> {
    if raw.len() > MAX_MESSAGE {
        return Err("oversized".into());
    }
    let v: serde_json::Value = serde_json::from_slice(raw).map_err(|e| format!("not JSON: {e}"))?;
    let version = v["stateVersion"].as_u64().unwrap_or(0);
    if version > STATE_VERSION as u64 {
        return Err(format!(
            "cluster state version {version}, this node only {STATE_VERSION}: upgrade this node"
        ));
    }
    v["draining"]
        .as_bool()
        .ok_or_else(|| "no draining flag".to_string())
}
