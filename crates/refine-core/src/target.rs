//! target: the app's own lifecycle — start/stop its dev server, build, test, health check —
//! as supervised processes, with commands suggested from the app's shape and editable.

use crate::events::kind;
use refine_model::event::{AppRef, TargetHealth};
use std::time::Duration;

use refine_model::process::{ProcessInfo, ProcessStatus};
use refine_model::ApiError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::processes::{ProcessIdInput, StartProcessInput};
use crate::wire::double_option;
use crate::{clock, Change, Core, Ctx, Mutated};

/// An app's lifecycle commands (argv arrays) and health check.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    pub start: Option<Vec<String>>,
    /// Run to stop the app; without it, stopping stops the start process's group.
    pub stop: Option<Vec<String>>,
    pub build: Option<Vec<String>>,
    pub test: Option<Vec<String>>,
    /// A loopback URL answering 2xx/3xx when the app is healthy, e.g. `http://localhost:3000/health`.
    pub health_url: Option<String>,
    /// Or a command whose exit code 0 means healthy.
    pub health_command: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TargetStatus {
    Stopped,
    /// Running, no health check configured.
    Running,
    Healthy,
    /// Running but the health check fails.
    Failing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    pub ok: bool,
    pub detail: String,
    /// When it was probed (RFC 3339).
    pub checked_at: String,
}

/// How often the daemon probes a running app's health.
pub const HEALTH_EVERY: Duration = Duration::from_secs(5);

/// The app's lifecycle at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetState {
    pub app_id: String,
    pub lifecycle: Lifecycle,
    /// The commands were suggested from the app's shape (never edited).
    pub suggested: bool,
    pub revision: u32,
    pub status: TargetStatus,
    pub health: Option<HealthCheck>,
    /// The running start process, if any.
    pub process: Option<ProcessInfo>,
    pub last_build: Option<ProcessInfo>,
    pub last_test: Option<ProcessInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetInput {
    #[serde(default)]
    pub app_id: Option<String>,
}

/// Edit lifecycle commands; `null` clears one. Fenced by the revision read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigureTargetInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub revision: u32,
    #[serde(default, deserialize_with = "double_option")]
    #[specta(type = Option<Vec<String>>)]
    pub start: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[specta(type = Option<Vec<String>>)]
    pub stop: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[specta(type = Option<Vec<String>>)]
    pub build: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[specta(type = Option<Vec<String>>)]
    pub test: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[specta(type = Option<String>)]
    pub health_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[specta(type = Option<Vec<String>>)]
    pub health_command: Option<Option<Vec<String>>>,
}

const LABEL_START: &str = "target:start";
const LABEL_BUILD: &str = "target:build";
const LABEL_TEST: &str = "target:test";
const LABEL_STOP: &str = "target:stop";

fn check_argv(what: &str, v: &Option<Vec<String>>) -> Result<(), ApiError> {
    if let Some(a) = v {
        if a.is_empty()
            || a[0].trim().is_empty()
            || a.len() > 512
            || a.iter().any(|x| x.contains('\0'))
        {
            return Err(ApiError::invalid(format!(
                "{what} must be a non-empty argv array (program first)"
            )));
        }
    }
    Ok(())
}

/// Only loopback health URLs: the daemon never probes other machines for a page.
fn parse_health_url(url: &str) -> Result<(String, u16, String), ApiError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| ApiError::invalid("healthUrl must be an http:// URL on this machine"))?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
            h,
            p.parse::<u16>()
                .map_err(|_| ApiError::invalid("healthUrl has a bad port"))?,
        ),
        _ => (hostport, 80),
    };
    if !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
        return Err(ApiError::invalid(
            "healthUrl must point at localhost, 127.0.0.1 or [::1]",
        ));
    }
    if path.chars().any(|c| c.is_control() || c == ' ') {
        return Err(ApiError::invalid(
            "healthUrl has characters that do not belong in a URL path",
        ));
    }
    let connect = if host == "[::1]" {
        "::1".to_string()
    } else {
        "127.0.0.1".to_string()
    };
    Ok((connect, port, path.to_string()))
}

/// Probe a loopback health URL: (healthy, what happened).
async fn probe_url(url: &str) -> (bool, String) {
    let (host, port, path) = match parse_health_url(url) {
        Ok(x) => x,
        Err(e) => return (false, e.message),
    };
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost:{port}\r\nUser-Agent: refine-health\r\n\r\n").as_bytes()).await?;
        let mut buf = vec![0u8; 256];
        let n = s.read(&mut buf).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&buf[..n]).to_string())
    };
    match tokio::time::timeout(Duration::from_secs(2), attempt).await {
        Ok(Ok(head)) => {
            let code: u16 = head
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            ((200..400).contains(&code), format!("{url} answered {code}"))
        }
        Ok(Err(e)) => (false, format!("{url}: {e}")),
        Err(_) => (false, format!("{url} did not answer within 2 s")),
    }
}

impl Core {
    pub(crate) async fn lifecycle(
        &self,
        ctx: &Ctx,
        app: Option<&str>,
    ) -> Result<(refine_model::App, Lifecycle, bool, u32), ApiError> {
        let a = self.resolve_app(ctx, app).await?;
        let id = a.id.clone();
        let stored = self
            .read(move |c| refine_store::lifecycle::get(c, &id))
            .await?;
        Ok(match stored {
            Some((v, rev)) => {
                let l: Lifecycle = serde_json::from_value(v)
                    .map_err(|_| ApiError::internal("stored lifecycle is unreadable"))?;
                (a, l, false, rev)
            }
            None => {
                let c = &a.shape.commands;
                let l = Lifecycle {
                    start: c.start.clone(),
                    stop: None,
                    build: c.build.clone(),
                    test: c.test.clone(),
                    health_url: None,
                    health_command: None,
                };
                (a, l, true, 0)
            }
        })
    }

    async fn latest(&self, app_id: &str, label: &str) -> Result<Option<ProcessInfo>, ApiError> {
        let (a, l) = (app_id.to_string(), label.to_string());
        let list = self
            .read(move |c| refine_store::processes::list(c, Some(&a), false, 200))
            .await?;
        Ok(list
            .into_iter()
            .find(|p| p.label.as_deref() == Some(l.as_str())))
    }

    /// `target.get`: commands, status, last build and test. The health shown is the daemon's
    /// last probe (it probes running apps every few seconds, and `target.check` probes now): a
    /// read never runs the health command.
    pub async fn target_get(&self, ctx: &Ctx, i: TargetInput) -> Result<TargetState, ApiError> {
        let (app, lifecycle, suggested, revision) =
            self.lifecycle(ctx, i.app_id.as_deref()).await?;
        let start = self
            .latest(&app.id, LABEL_START)
            .await?
            .filter(|p| p.status.is_live());
        let probed = lifecycle.health_url.is_some() || lifecycle.health_command.is_some();
        let health = match (&start, probed) {
            (Some(p), true) => self
                .0
                .health
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&app.id)
                .filter(|(pid, _)| *pid == p.id)
                .map(|(_, h)| h.clone()),
            _ => None,
        };
        self.assemble_target(app, lifecycle, suggested, revision, start, health)
            .await
    }

    async fn assemble_target(
        &self,
        app: refine_model::App,
        lifecycle: Lifecycle,
        suggested: bool,
        revision: u32,
        start: Option<ProcessInfo>,
        health: Option<HealthCheck>,
    ) -> Result<TargetState, ApiError> {
        let status = match (&start, &health) {
            (None, _) => TargetStatus::Stopped,
            (Some(_), None) => TargetStatus::Running,
            (Some(_), Some(h)) if h.ok => TargetStatus::Healthy,
            (Some(_), Some(_)) => TargetStatus::Failing,
        };
        Ok(TargetState {
            last_build: self.latest(&app.id, LABEL_BUILD).await?,
            last_test: self.latest(&app.id, LABEL_TEST).await?,
            app_id: app.id,
            lifecycle,
            suggested,
            revision,
            status,
            health,
            process: start,
        })
    }

    /// Probe one app's health now (when its dev server runs and a check is configured), keep
    /// the answer and announce a change as `target.health`.
    async fn probe_health(
        &self,
        app: &refine_model::App,
        lifecycle: &Lifecycle,
        start: &ProcessInfo,
    ) -> Option<HealthCheck> {
        let detail_ok = match (&lifecycle.health_url, &lifecycle.health_command) {
            (Some(url), _) => probe_url(url).await,
            (None, Some(cmd)) => {
                let out = tokio::time::timeout(
                    Duration::from_secs(10),
                    refine_host::process::command(
                        cmd,
                        std::path::Path::new(&app.path),
                        &self.child_env(&Default::default()),
                    )
                    .status(),
                )
                .await;
                match out {
                    Ok(Ok(s)) => (
                        s.success(),
                        format!("{} exited with {}", cmd.join(" "), s.code().unwrap_or(-1)),
                    ),
                    Ok(Err(e)) => (false, format!("could not run {}: {e}", cmd[0])),
                    Err(_) => (false, format!("{} took longer than 10 s", cmd.join(" "))),
                }
            }
            (None, None) => return None,
        };
        let h = HealthCheck {
            ok: detail_ok.0,
            detail: detail_ok.1,
            checked_at: clock::now(),
        };
        let before = self
            .0
            .health
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(app.id.clone(), (start.id.clone(), h.clone()));
        let changed =
            before.is_none_or(|(pid, b)| pid != start.id || b.ok != h.ok || b.detail != h.detail);
        if changed {
            self.0.bus.publish(
                kind::TARGET_HEALTH,
                Some(app.id.clone()),
                &TargetHealth {
                    app_id: app.id.clone(),
                    ok: h.ok,
                    detail: h.detail.clone(),
                    process_id: start.id.clone(),
                },
            );
        }
        Some(h)
    }

    /// `target.check`: probe the app's health now and answer its state.
    pub async fn target_check(
        &self,
        ctx: &Ctx,
        i: TargetInput,
    ) -> Result<Mutated<TargetState>, ApiError> {
        let (app, lifecycle, suggested, revision) =
            self.lifecycle(ctx, i.app_id.as_deref()).await?;
        let start = self
            .latest(&app.id, LABEL_START)
            .await?
            .filter(|p| p.status.is_live());
        let health = match &start {
            Some(p) => self.probe_health(&app, &lifecycle, p).await,
            None => None,
        };
        let state = self
            .assemble_target(app, lifecycle, suggested, revision, start, health)
            .await?;
        let summary = match &state.health {
            Some(h) => format!("Health check: {}", if h.ok { "healthy" } else { "failing" }),
            None => "Health check: nothing to probe".to_string(),
        };
        let app_id = state.app_id.clone();
        self.mutate(ctx, &i, async { Ok(()) }, move |_, ()| {
            Ok((state, Change::new(summary).app(Some(app_id))))
        })
        .await
    }

    /// Probe every running app's health every [`HEALTH_EVERY`] while the daemon runs.
    pub fn start_health_prober(&self) {
        let core = self.clone();
        let mut shutdown = self.shutdown_signal();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEALTH_EVERY);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = shutdown.wait_for(|v| *v) => return,
                }
                let Ok(apps) = core.apps_list().await else {
                    continue;
                };
                for app in apps {
                    let ctx = Ctx::new(refine_model::Surface::System);
                    let Ok((app, lifecycle, _, _)) = core.lifecycle(&ctx, Some(&app.id)).await
                    else {
                        continue;
                    };
                    if let Ok(Some(start)) = core.latest(&app.id, LABEL_START).await {
                        if start.status.is_live() {
                            core.probe_health(&app, &lifecycle, &start).await;
                        }
                    }
                }
            }
        });
    }

    /// `target.configure`
    pub async fn target_configure(
        &self,
        ctx: &Ctx,
        i: ConfigureTargetInput,
    ) -> Result<Mutated<Lifecycle>, ApiError> {
        let (app, mut l, _, revision) = self.lifecycle(ctx, i.app_id.as_deref()).await?;
        if i.revision != revision {
            return Err(ApiError::conflict(format!(
                "the lifecycle changed since you read it (revision {revision} now, you sent {})",
                i.revision
            ))
            .with_details(json!({ "currentRevision": revision })));
        }
        macro_rules! set {
            ($f:ident) => {
                if let Some(v) = &i.$f {
                    l.$f = v.clone();
                }
            };
        }
        set!(start);
        set!(stop);
        set!(build);
        set!(test);
        set!(health_url);
        set!(health_command);
        for (w, v) in [
            ("start", &l.start),
            ("stop", &l.stop),
            ("build", &l.build),
            ("test", &l.test),
            ("healthCommand", &l.health_command),
        ] {
            check_argv(w, v)?;
        }
        if let Some(u) = &l.health_url {
            parse_health_url(u)?;
        }
        let app_id = app.id.clone();
        let value = serde_json::to_value(&l).map_err(|_| ApiError::internal("lifecycle"))?;
        self.mutate(ctx, &i, async { Ok(()) }, move |tx, ()| {
            let now = refine_store::lifecycle::get(tx, &app_id)?
                .map(|(_, r)| r)
                .unwrap_or(0);
            if now != revision {
                return Err(
                    ApiError::conflict("the lifecycle changed since you read it")
                        .with_details(json!({ "currentRevision": now })),
                );
            }
            refine_store::lifecycle::put(tx, &app_id, &value, revision + 1)?;
            let change = Change::new(format!("Edited the lifecycle commands of {}", app.name))
                .app(Some(app_id.clone()))
                .event(
                    kind::TARGET_UPDATED,
                    &AppRef {
                        app_id: app_id.clone(),
                    },
                );
            Ok((l, change))
        })
        .await
    }

    async fn run_lifecycle(
        &self,
        ctx: &Ctx,
        app: Option<String>,
        which: &str,
    ) -> Result<Mutated<ProcessInfo>, ApiError> {
        let (a, l, _, _) = self.lifecycle(ctx, app.as_deref()).await?;
        let (argv, label) = match which {
            "start" => (l.start, LABEL_START),
            "build" => (l.build, LABEL_BUILD),
            "test" => (l.test, LABEL_TEST),
            _ => (l.stop, LABEL_STOP),
        };
        let argv = argv.ok_or_else(|| {
            ApiError::precondition(format!("{} has no {which} command; set one with target.configure (refine target set {which} -- …)", a.name))
        })?;
        if let Some(running) = self
            .latest(&a.id, label)
            .await?
            .filter(|p| p.status.is_live())
        {
            return Err(ApiError::conflict(format!(
                "{which} is already running (process {})",
                running.id
            ))
            .with_details(json!({ "processId": running.id })));
        }
        self.processes_start(
            ctx,
            StartProcessInput {
                app_id: Some(a.id),
                argv,
                cwd: None,
                env: None,
                label: Some(label.into()),
                owner: None,
            },
        )
        .await
    }

    /// `target.start`
    pub async fn target_start(
        &self,
        ctx: &Ctx,
        i: TargetInput,
    ) -> Result<Mutated<ProcessInfo>, ApiError> {
        self.run_lifecycle(ctx, i.app_id, "start").await
    }

    /// `target.build`
    pub async fn target_build(
        &self,
        ctx: &Ctx,
        i: TargetInput,
    ) -> Result<Mutated<ProcessInfo>, ApiError> {
        self.run_lifecycle(ctx, i.app_id, "build").await
    }

    /// `target.test`
    pub async fn target_test(
        &self,
        ctx: &Ctx,
        i: TargetInput,
    ) -> Result<Mutated<ProcessInfo>, ApiError> {
        self.run_lifecycle(ctx, i.app_id, "test").await
    }

    /// `target.stop`: the stop command if there is one, else stop the start process's group.
    pub async fn target_stop(
        &self,
        ctx: &Ctx,
        i: TargetInput,
    ) -> Result<Mutated<ProcessInfo>, ApiError> {
        let (a, l, _, _) = self.lifecycle(ctx, i.app_id.as_deref()).await?;
        let running = self
            .latest(&a.id, LABEL_START)
            .await?
            .filter(|p| p.status.is_live())
            .ok_or_else(|| ApiError::conflict(format!("{} is not running", a.name)))?;
        if l.stop.is_some() {
            let out = self.run_lifecycle(ctx, Some(a.id.clone()), "stop").await?;
            // Give the stop command a moment, then make sure the app is down.
            for _ in 0..50 {
                if self
                    .processes_get(ProcessIdInput {
                        id: running.id.clone(),
                    })
                    .await?
                    .status
                    != ProcessStatus::Running
                {
                    return Ok(out);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        self.processes_stop(ctx, ProcessIdInput { id: running.id })
            .await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn health_urls_stay_on_this_machine() {
        assert_eq!(
            super::parse_health_url("http://localhost:3000/health").unwrap(),
            ("127.0.0.1".into(), 3000, "/health".into())
        );
        assert_eq!(
            super::parse_health_url("http://[::1]:8080").unwrap().1,
            8080
        );
        for bad in [
            "https://localhost/",
            "http://example.com/",
            "http://10.0.0.1:80/",
            "http://localhost:99999/",
            "file:///etc/passwd",
            "http://localhost.evil.test/",
        ] {
            assert!(super::parse_health_url(bad).is_err(), "{bad}");
        }
    }
}
