//! Provider holds: a profile whose provider answered "rate limited" or "usage limit reached"
//! waits until the reset (the provider's own time when it gave one, else a back-off that grows
//! with each limit in a row), and one whose credentials were refused waits until a person saves
//! the profile again or releases it. Goals on a held profile are not started; the one that hit
//! the limit stays in its state with the reason recorded, its retry budget untouched.

use crate::events::kind;
use refine_model::event::HoldReleased;
use std::time::{Duration, Instant};

use refine_model::agents::{Provider, ProviderHold};
use refine_model::ApiError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;
use time::OffsetDateTime;

use crate::{clock, Change, Core, Ctx, Mutated};

/// Back-off after a limit without a reset time: 1 minute, doubling, at most 30 minutes.
fn backoff(strikes: u32) -> Duration {
    Duration::from_secs((60u64 << strikes.min(5)).min(1800))
}

pub(crate) struct Hold {
    pub info: ProviderHold,
    /// When it lifts by itself (`None`: a person must act).
    pub until: Option<Instant>,
    /// Limits in a row (for the back-off).
    pub strikes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReleaseInput {
    /// The profile to release.
    pub profile: String,
}

/// What to set when a provider refuses the credentials.
fn credential_hint(p: Provider) -> &'static str {
    match p {
        Provider::ClaudeCode => "ANTHROPIC_API_KEY (or sign in with `claude`)",
        Provider::Codex => {
            "OPENAI_API_KEY (or the env_key of its model provider), or sign in with `codex login`"
        }
        Provider::Gemini => "GEMINI_API_KEY",
        Provider::Copilot => "COPILOT_PROVIDER_API_KEY, or sign in with `copilot`",
        Provider::Aider => "OPENAI_API_KEY or ANTHROPIC_API_KEY",
        Provider::Opencode => "the API key of its provider (see `opencode auth`)",
        Provider::Generic | Provider::Scripted => "what the command needs",
    }
}

impl Core {
    /// Hold `profile` after a limit until `reset` (or a growing back-off).
    pub(crate) fn hold_limited(
        &self,
        profile: &str,
        reset: Option<OffsetDateTime>,
        message: &str,
    ) -> ProviderHold {
        let now = OffsetDateTime::now_utc();
        let mut holds = self
            .runner()
            .holds
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let strikes = holds.get(profile).map(|h| h.strikes + 1).unwrap_or(0);
        let wait = match reset {
            Some(t) if t > now => Duration::from_secs_f64((t - now).as_seconds_f64()),
            _ => backoff(strikes),
        };
        let until_wall = now + wait;
        let info = ProviderHold {
            profile: profile.to_string(),
            kind: "limit".into(),
            reason: format!(
                "{profile} is rate-limited until {} ({message}); its Goals wait and resume by themselves",
                clock::format(until_wall)
            ),
            since: clock::now(),
            until: Some(clock::format(until_wall)),
        };
        holds.insert(
            profile.to_string(),
            Hold {
                info: info.clone(),
                until: Some(Instant::now() + wait),
                strikes,
            },
        );
        drop(holds);
        self.bus().publish(kind::RUNNER_HOLD, None, &info);
        info
    }

    /// Hold `profile` after refused credentials, until a person fixes it.
    pub(crate) async fn hold_unauthorized(&self, profile: &str, message: &str) -> ProviderHold {
        let hint = match self.profile(profile).await {
            Ok(p) => credential_hint(p.provider),
            Err(_) => "its credentials",
        };
        let info = ProviderHold {
            profile: profile.to_string(),
            kind: "auth".into(),
            reason: format!(
                "{profile}: the provider refused the credentials ({message}). Set {hint} in the profile's environment (Settings → Agents, or `refine agent set {profile} --env KEY=…`); saving the profile releases it"
            ),
            since: clock::now(),
            until: None,
        };
        self.runner()
            .holds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                profile.to_string(),
                Hold {
                    info: info.clone(),
                    until: None,
                    strikes: 0,
                },
            );
        self.bus().publish(kind::RUNNER_HOLD, None, &info);
        info
    }

    /// The hold on `profile`, if one is in force (expired ones are dropped).
    pub(crate) fn provider_hold(&self, profile: &str) -> Option<ProviderHold> {
        let mut holds = self
            .runner()
            .holds
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match holds.get(profile) {
            Some(h) if h.until.is_some_and(|u| u <= Instant::now()) => {
                // Lifted by the clock; keep the strike count only for back-to-back limits.
                holds.remove(profile);
                None
            }
            Some(h) => Some(h.info.clone()),
            None => None,
        }
    }

    pub(crate) fn provider_holds(&self) -> Vec<ProviderHold> {
        let now = Instant::now();
        let mut holds = self
            .runner()
            .holds
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        holds.retain(|_, h| h.until.is_none_or(|u| u > now));
        let mut v: Vec<ProviderHold> = holds.values().map(|h| h.info.clone()).collect();
        v.sort_by(|a, b| a.profile.cmp(&b.profile));
        v
    }

    /// Lift the hold on a profile (a saved profile, or a person who says "go on now").
    pub(crate) fn lift_hold(&self, profile: &str) -> bool {
        let lifted = self
            .runner()
            .holds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(profile)
            .is_some();
        if lifted {
            self.bus().publish(
                kind::RUNNER_HOLD_RELEASED,
                None,
                &HoldReleased {
                    profile: profile.to_string(),
                },
            );
            self.wake_runner();
        }
        lifted
    }

    /// `runner.release`: work on a held profile goes on now.
    pub async fn runner_release(
        &self,
        ctx: &Ctx,
        input: ReleaseInput,
    ) -> Result<Mutated<Vec<ProviderHold>>, ApiError> {
        if self.provider_hold(&input.profile).is_none() {
            return Err(ApiError::conflict(format!(
                "{} is not held; nothing to release",
                input.profile
            )));
        }
        let name = input.profile.clone();
        let core = self.clone();
        self.mutate(ctx, &input, async { Ok(()) }, move |_, ()| {
            core.lift_hold(&name);
            Ok((
                core.provider_holds(),
                Change::new(format!(
                    "Released agent profile {name}: its Goals go on now"
                )),
            ))
        })
        .await
    }
}
