//! guidance: entries (title, body, enabled) the agents are given with every Round, in order,
//! with ids `G1`, `G2`, … that are never reused. One revision fences the whole collection of
//! an app: a stale writer gets a 409 with the current revision and nothing changes.

use crate::events::kind;
use refine_model::event::AppRevision;
use refine_model::governance::{parse_entry_id, GuidanceEntry, GuidanceList, MAX_ENTRIES};
use refine_model::ApiError;
use refine_store::guidance as table;
use refine_store::rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::governance::{body, check_app, same_set, stale, title};
use crate::{clock, Change, Core, Ctx, Mutated};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuidanceInput {
    /// Default: the active app.
    #[serde(default)]
    pub app_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddGuidanceInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// The revision you read.
    pub revision: u32,
    /// One line, 1–200 characters.
    pub title: String,
    /// At most 20,000 characters.
    #[serde(default)]
    pub body: String,
    /// Default true.
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateGuidanceInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub revision: u32,
    /// The entry's id, e.g. `G2`.
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoveGuidanceInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub revision: u32,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReorderGuidanceInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub revision: u32,
    /// Every entry id of the app, in the new order.
    pub ids: Vec<String>,
}

fn entry_id(id: &str) -> Result<(), ApiError> {
    parse_entry_id('G', id).map(|_| ()).ok_or_else(|| {
        ApiError::invalid(format!(
            "a guidance id looks like G1, got {:?}",
            id.chars().take(40).collect::<String>()
        ))
    })
}

fn list(conn: &Connection, app_id: &str) -> Result<GuidanceList, ApiError> {
    Ok(GuidanceList {
        app_id: app_id.to_string(),
        entries: table::entries(conn, app_id)?,
        revision: table::revision(conn, app_id)?,
    })
}

/// Read the app's guidance inside a write and check the revision the writer sent.
fn fenced(tx: &Connection, app_id: &str, sent: u32) -> Result<GuidanceList, ApiError> {
    check_app(tx, app_id)?;
    let l = list(tx, app_id)?;
    if l.revision != sent {
        return Err(stale("the guidance", l.revision, sent));
    }
    Ok(l)
}

/// Bump the revision and answer the collection as it now is.
fn commit(tx: &Connection, l: &GuidanceList) -> Result<GuidanceList, ApiError> {
    table::set_revision(tx, &l.app_id, l.revision + 1)?;
    list(tx, &l.app_id)
}

fn find<'a>(l: &'a GuidanceList, id: &str) -> Result<&'a GuidanceEntry, ApiError> {
    l.entries
        .iter()
        .find(|e| e.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no guidance entry {id} in this app")))
}

fn change(summary: String, l: &GuidanceList, target: &str) -> Change {
    Change::new(summary)
        .app(Some(l.app_id.clone()))
        .target(target.to_string())
        .event(
            kind::GUIDANCE_UPDATED,
            &AppRevision {
                app_id: l.app_id.clone(),
                revision: l.revision,
            },
        )
}

fn renumber(
    tx: &Connection,
    app_id: &str,
    entries: &mut [GuidanceEntry],
    at: &str,
) -> Result<(), ApiError> {
    for (pos, e) in entries.iter_mut().enumerate() {
        if e.position != pos as u32 {
            e.position = pos as u32;
            e.updated_at = at.to_string();
            table::update(tx, app_id, e)?;
        }
    }
    Ok(())
}

impl Core {
    /// `guidance.list`
    pub async fn guidance_list(
        &self,
        ctx: &Ctx,
        i: GuidanceInput,
    ) -> Result<GuidanceList, ApiError> {
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.blocking(move |core| core.store().read(|c| list(c, &app.id)))
            .await
    }

    /// `guidance.add`: a new entry at the end, with the next unused id.
    pub async fn guidance_add(
        &self,
        ctx: &Ctx,
        i: AddGuidanceInput,
    ) -> Result<Mutated<GuidanceList>, ApiError> {
        let (t, b) = (title(&i.title)?, body(&i.body)?);
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let l = fenced(tx, &app.id, i.revision)?;
            if l.entries.len() >= MAX_ENTRIES {
                return Err(ApiError::invalid(format!(
                    "an app has at most {MAX_ENTRIES} guidance entries"
                )));
            }
            let at = clock::now();
            let e = GuidanceEntry {
                id: table::next_id(tx)?,
                title: t,
                body: b,
                enabled: i.enabled.unwrap_or(true),
                position: l.entries.len() as u32,
                created_at: at.clone(),
                updated_at: at,
            };
            table::insert(tx, &app.id, &e)?;
            let l = commit(tx, &l)?;
            let c = change(format!("Added guidance {} “{}”", e.id, e.title), &l, &e.id);
            Ok((l, c))
        })
        .await
    }

    /// `guidance.update`: title, body, or enabled.
    pub async fn guidance_update(
        &self,
        ctx: &Ctx,
        i: UpdateGuidanceInput,
    ) -> Result<Mutated<GuidanceList>, ApiError> {
        entry_id(&i.id)?;
        if i.title.is_none() && i.body.is_none() && i.enabled.is_none() {
            return Err(ApiError::invalid(
                "nothing to change: give title, body or enabled",
            ));
        }
        let t = i.title.as_deref().map(title).transpose()?;
        let b = i.body.as_deref().map(body).transpose()?;
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let l = fenced(tx, &app.id, i.revision)?;
            let mut e = find(&l, &i.id)?.clone();
            let verb = match (t.is_some() || b.is_some(), i.enabled) {
                (false, Some(true)) => "Enabled",
                (false, Some(false)) => "Disabled",
                _ => "Edited",
            };
            if let Some(t) = t {
                e.title = t;
            }
            if let Some(b) = b {
                e.body = b;
            }
            if let Some(en) = i.enabled {
                e.enabled = en;
            }
            e.updated_at = clock::now();
            table::update(tx, &app.id, &e)?;
            let l = commit(tx, &l)?;
            let c = change(format!("{verb} guidance {} “{}”", e.id, e.title), &l, &e.id);
            Ok((l, c))
        })
        .await
    }

    /// `guidance.delete`: the id stays retired.
    pub async fn guidance_delete(
        &self,
        ctx: &Ctx,
        i: RemoveGuidanceInput,
    ) -> Result<Mutated<GuidanceList>, ApiError> {
        entry_id(&i.id)?;
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let mut l = fenced(tx, &app.id, i.revision)?;
            let e = find(&l, &i.id)?.clone();
            table::delete(tx, &app.id, &e.id)?;
            l.entries.retain(|x| x.id != e.id);
            renumber(tx, &app.id, &mut l.entries, &clock::now())?;
            let l = commit(tx, &l)?;
            let c = change(
                format!("Removed guidance {} “{}”", e.id, e.title),
                &l,
                &e.id,
            );
            Ok((l, c))
        })
        .await
    }

    /// `guidance.reorder`
    pub async fn guidance_reorder(
        &self,
        ctx: &Ctx,
        i: ReorderGuidanceInput,
    ) -> Result<Mutated<GuidanceList>, ApiError> {
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let l = fenced(tx, &app.id, i.revision)?;
            let have: Vec<&str> = l.entries.iter().map(|e| e.id.as_str()).collect();
            same_set(&i.ids, &have, "guidance entries of the app")?;
            let mut ordered: Vec<GuidanceEntry> = i
                .ids
                .iter()
                .filter_map(|id| l.entries.iter().find(|e| &e.id == id).cloned())
                .collect();
            renumber(tx, &app.id, &mut ordered, &clock::now())?;
            let l = commit(tx, &l)?;
            let c = change(
                format!("Reordered the guidance of {}", app.name),
                &l,
                &app.id,
            );
            Ok((l, c))
        })
        .await
    }
}
