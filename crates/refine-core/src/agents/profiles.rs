//! Agent profiles: each provider's default plus what people saved (secrets stored, shown
//! redacted; saving the placeholder back keeps the stored value).

use crate::events::kind;
use crate::{clock, Change, Core, Ctx, Mutated};
use refine_model::agents::{self as model, AgentProfile, Provider, REDACTED};
use refine_model::event::ProfileSaved;
use refine_model::ApiError;
use refine_store::agents as table;
use serde_json::json;

use super::*;

impl Core {
    /// Every profile: the defaults of each provider, replaced by saved ones of the same name,
    /// plus saved custom ones. Secrets included (internal use).
    pub(crate) async fn all_profiles(&self) -> Result<Vec<AgentProfile>, ApiError> {
        let saved = self.read(table::profiles).await?;
        let exe = self_exe();
        let mut out: Vec<AgentProfile> = Provider::ALL
            .iter()
            .map(|p| model::default_profile(*p, &exe))
            .collect();
        for s in saved {
            match out.iter_mut().find(|p| p.name == s.name) {
                Some(slot) => *slot = s,
                None => out.push(s),
            }
        }
        Ok(out)
    }

    pub(crate) async fn profile(&self, name: &str) -> Result<AgentProfile, ApiError> {
        self.all_profiles()
            .await?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| ApiError::not_found(format!("no agent profile named {name:?}")))
    }

    /// `agents.profiles.list`
    pub async fn agents_profiles_list(&self) -> Result<Vec<AgentProfile>, ApiError> {
        Ok(self
            .all_profiles()
            .await?
            .iter()
            .map(AgentProfile::redacted)
            .collect())
    }

    /// `agents.profiles.save`
    pub async fn agents_profiles_save(
        &self,
        ctx: &Ctx,
        input: SaveProfileInput,
    ) -> Result<Mutated<AgentProfile>, ApiError> {
        let mut p = input.profile.clone();
        p.validate().map_err(ApiError::invalid)?;
        p.builtin = false;
        let existing = self.all_profiles().await?;
        if let Some(old) = existing.iter().find(|e| e.name == p.name) {
            for (k, v) in p.env.iter_mut() {
                if v == REDACTED {
                    match old.env.get(k) {
                        Some(stored) => *v = stored.clone(),
                        None => {
                            return Err(ApiError::invalid(format!(
                                "{k} has no stored value to keep; enter it"
                            )))
                        }
                    }
                }
            }
        } else if p.env.values().any(|v| v == REDACTED) {
            return Err(ApiError::invalid(
                "a new profile has no stored secrets to keep; enter the values",
            ));
        }
        let request = json!({ "profile": p.redacted() });
        let name = p.name.clone();
        let out = self
            .mutate(ctx, &request, async { Ok(()) }, move |tx, ()| {
                table::put_profile(tx, &p, &clock::now())?;
                let shown = p.redacted();
                let change = Change::new(format!("Saved agent profile {}", p.name))
                    .target(p.name.clone())
                    .event(
                        kind::AGENTS_PROFILE_SAVED,
                        &ProfileSaved {
                            profile: shown.clone(),
                        },
                    );
                Ok((shown, change))
            })
            .await?;
        // A saved profile gets another chance (e.g. its API key was fixed).
        self.lift_hold(&name);
        self.refresh_detection(name);
        Ok(out)
    }

    /// Look at one profile again in the background (it was saved or reset).
    pub(crate) fn refresh_detection(&self, name: String) {
        let core = self.clone();
        tokio::spawn(async move {
            if let Ok(p) = core.profile(&name).await {
                core.detect_now(vec![p]).await;
            }
        });
    }

    /// `agents.profiles.delete`: a saved profile goes; a built-in one returns to its default.
    pub async fn agents_profiles_delete(
        &self,
        ctx: &Ctx,
        input: ProfileNameInput,
    ) -> Result<Mutated<ProfileDeleted>, ApiError> {
        let name = input.name.clone();
        let out = self
            .mutate(ctx, &input, async { Ok(()) }, move |tx, ()| {
                if !table::delete_profile(tx, &name)? {
                    return Err(ApiError::not_found(format!(
                        "no saved agent profile named {name:?}"
                    )));
                }
                let builtin = Provider::ALL.iter().any(|p| p.as_str() == name);
                let change = Change::new(if builtin {
                    format!("Reset agent profile {name} to its default")
                } else {
                    format!("Deleted agent profile {name}")
                })
                .target(name.clone())
                .event(
                    kind::AGENTS_PROFILE_DELETED,
                    &ProfileDeleted {
                        name: name.clone(),
                        reset: builtin,
                    },
                );
                Ok((
                    ProfileDeleted {
                        name: name.clone(),
                        reset: builtin,
                    },
                    change,
                ))
            })
            .await?;
        if out.value.reset {
            self.refresh_detection(out.value.name.clone());
        }
        Ok(out)
    }
}
