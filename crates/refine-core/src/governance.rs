//! governance: an app's product statement, constitution and rules (ids `R1`, `R2`, … that are
//! never reused). The whole collection has one revision: every write sends the revision it
//! read and bumps it; a stale writer gets a 409 with the current revision and nothing changes.

use crate::events::kind;
use refine_model::event::AppRevision;
use refine_model::governance::{
    parse_entry_id, Governance, GovernanceRule, MAX_BODY_CHARS, MAX_CONSTITUTION_CHARS,
    MAX_ENTRIES, MAX_STATEMENT_CHARS, MAX_TITLE_CHARS,
};
use refine_model::ApiError;
use refine_store::governance as table;
use refine_store::rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;

use crate::{clock, wire, Change, Core, Ctx, Mutated};

/// The 409 for a write fenced by a revision that moved on.
pub(crate) fn stale(what: &str, current: u32, sent: u32) -> ApiError {
    ApiError::conflict(format!(
        "{what} changed since you read it (revision {current} now, you sent {sent}); reload and try again"
    ))
    .with_details(json!({ "currentRevision": current }))
}

/// Inside a write: the app still exists (it may have been removed since it was resolved).
pub(crate) fn check_app(conn: &Connection, app_id: &str) -> Result<(), ApiError> {
    refine_store::apps::get(conn, app_id)?
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found(format!("no app with id {app_id}")))
}

/// A title (one line, trimmed, 1–200 characters) and a body (multi-line, up to 20,000).
pub(crate) fn title(value: &str) -> Result<String, ApiError> {
    wire::name("title", value, MAX_TITLE_CHARS)
}

pub(crate) fn body(value: &str) -> Result<String, ApiError> {
    let v = value.trim_end();
    wire::text("body", v, MAX_BODY_CHARS, true)?;
    Ok(v.to_string())
}

/// `ids` lists each of `have` exactly once.
pub(crate) fn same_set(ids: &[String], have: &[&str], what: &str) -> Result<(), ApiError> {
    let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
    want.sort_unstable();
    let mut have = have.to_vec();
    have.sort_unstable();
    if want != have {
        return Err(ApiError::invalid(format!(
            "ids must list exactly the {} {what}, each once",
            have.len()
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GovernanceInput {
    /// Default: the active app.
    #[serde(default)]
    pub app_id: Option<String>,
}

/// Edit the product statement and/or the constitution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateGovernanceInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// The revision you read.
    pub revision: u32,
    /// At most 5,000 characters.
    #[serde(default)]
    pub statement: Option<String>,
    /// At most 50,000 characters (Markdown).
    #[serde(default)]
    pub constitution: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddGovernanceRuleInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub revision: u32,
    /// One line, 1–200 characters.
    pub title: String,
    /// At most 20,000 characters.
    #[serde(default)]
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateGovernanceRuleInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub revision: u32,
    /// The rule's id, e.g. `R3`.
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoveGovernanceRuleInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub revision: u32,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReorderGovernanceRulesInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub revision: u32,
    /// Every rule id of the app, in the new order.
    pub ids: Vec<String>,
}

fn rule_id(id: &str) -> Result<(), ApiError> {
    parse_entry_id('R', id).map(|_| ()).ok_or_else(|| {
        ApiError::invalid(format!(
            "a rule id looks like R1, got {:?}",
            id.chars().take(40).collect::<String>()
        ))
    })
}

/// Read the app's governance inside a write and check the revision the writer sent.
fn fenced(tx: &Connection, app_id: &str, sent: u32) -> Result<Governance, ApiError> {
    check_app(tx, app_id)?;
    let g = table::get(tx, app_id)?;
    if g.revision != sent {
        return Err(stale("the governance", g.revision, sent));
    }
    Ok(g)
}

/// Bump the revision, store the documents, and answer the collection as it now is.
fn commit(tx: &Connection, mut g: Governance, at: &str) -> Result<Governance, ApiError> {
    g.revision += 1;
    table::put_doc(tx, &g, at)?;
    table::get(tx, &g.app_id).map_err(ApiError::from)
}

fn find_rule<'a>(g: &'a Governance, id: &str) -> Result<&'a GovernanceRule, ApiError> {
    g.rules
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no governance rule {id} in this app")))
}

fn change(summary: String, g: &Governance, target: &str) -> Change {
    Change::new(summary)
        .app(Some(g.app_id.clone()))
        .target(target.to_string())
        .event(
            kind::GOVERNANCE_UPDATED,
            &AppRevision {
                app_id: g.app_id.clone(),
                revision: g.revision,
            },
        )
}

/// Keep positions 0..n in the given order (after a removal or a reorder).
fn renumber(
    tx: &Connection,
    app_id: &str,
    rules: &mut [GovernanceRule],
    at: &str,
) -> Result<(), ApiError> {
    for (pos, r) in rules.iter_mut().enumerate() {
        if r.position != pos as u32 {
            r.position = pos as u32;
            r.updated_at = at.to_string();
            table::update_rule(tx, app_id, r)?;
        }
    }
    Ok(())
}

impl Core {
    /// `governance.get`
    pub async fn governance_get(
        &self,
        ctx: &Ctx,
        i: GovernanceInput,
    ) -> Result<Governance, ApiError> {
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.read(move |c| table::get(c, &app.id)).await
    }

    /// `governance.update`: the statement and/or the constitution.
    pub async fn governance_update(
        &self,
        ctx: &Ctx,
        i: UpdateGovernanceInput,
    ) -> Result<Mutated<Governance>, ApiError> {
        if i.statement.is_none() && i.constitution.is_none() {
            return Err(ApiError::invalid(
                "nothing to change: give statement or constitution",
            ));
        }
        let statement = i
            .statement
            .as_deref()
            .map(|s| {
                let s = s.trim();
                wire::text("statement", s, MAX_STATEMENT_CHARS, true).map(|_| s.to_string())
            })
            .transpose()?;
        let constitution = i
            .constitution
            .as_deref()
            .map(|s| {
                let s = s.trim_end();
                wire::text("constitution", s, MAX_CONSTITUTION_CHARS, true).map(|_| s.to_string())
            })
            .transpose()?;
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let mut g = fenced(tx, &app.id, i.revision)?;
            let what = match (&statement, &constitution) {
                (Some(_), Some(_)) => "the product statement and the constitution",
                (Some(_), None) => "the product statement",
                _ => "the constitution",
            };
            if let Some(s) = statement {
                g.statement = s;
            }
            if let Some(c) = constitution {
                g.constitution = c;
            }
            let g = commit(tx, g, &clock::now())?;
            let c = change(format!("Edited {what} of {}", app.name), &g, &app.id);
            Ok((g, c))
        })
        .await
    }

    /// `governance.rules.add`: a new rule at the end, with the next unused id.
    pub async fn governance_rules_add(
        &self,
        ctx: &Ctx,
        i: AddGovernanceRuleInput,
    ) -> Result<Mutated<Governance>, ApiError> {
        let (t, b) = (title(&i.title)?, body(&i.body)?);
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let g = fenced(tx, &app.id, i.revision)?;
            if g.rules.len() >= MAX_ENTRIES {
                return Err(ApiError::invalid(format!(
                    "an app has at most {MAX_ENTRIES} governance rules"
                )));
            }
            let at = clock::now();
            let rule = GovernanceRule {
                id: table::next_rule_id(tx)?,
                title: t,
                body: b,
                position: g.rules.len() as u32,
                created_at: at.clone(),
                updated_at: at.clone(),
            };
            table::insert_rule(tx, &app.id, &rule)?;
            let g = commit(tx, g, &at)?;
            let c = change(
                format!("Added governance rule {} “{}”", rule.id, rule.title),
                &g,
                &rule.id,
            );
            Ok((g, c))
        })
        .await
    }

    /// `governance.rules.update`
    pub async fn update_governance_rule(
        &self,
        ctx: &Ctx,
        i: UpdateGovernanceRuleInput,
    ) -> Result<Mutated<Governance>, ApiError> {
        rule_id(&i.id)?;
        if i.title.is_none() && i.body.is_none() {
            return Err(ApiError::invalid("nothing to change: give title or body"));
        }
        let t = i.title.as_deref().map(title).transpose()?;
        let b = i.body.as_deref().map(body).transpose()?;
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let g = fenced(tx, &app.id, i.revision)?;
            let mut rule = find_rule(&g, &i.id)?.clone();
            if let Some(t) = t {
                rule.title = t;
            }
            if let Some(b) = b {
                rule.body = b;
            }
            let at = clock::now();
            rule.updated_at = at.clone();
            table::update_rule(tx, &app.id, &rule)?;
            let g = commit(tx, g, &at)?;
            let c = change(
                format!("Edited governance rule {} “{}”", rule.id, rule.title),
                &g,
                &rule.id,
            );
            Ok((g, c))
        })
        .await
    }

    /// `governance.rules.delete`: the id stays retired.
    pub async fn remove_governance_rule(
        &self,
        ctx: &Ctx,
        i: RemoveGovernanceRuleInput,
    ) -> Result<Mutated<Governance>, ApiError> {
        rule_id(&i.id)?;
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let mut g = fenced(tx, &app.id, i.revision)?;
            let rule = find_rule(&g, &i.id)?.clone();
            table::delete_rule(tx, &app.id, &rule.id)?;
            let at = clock::now();
            g.rules.retain(|r| r.id != rule.id);
            renumber(tx, &app.id, &mut g.rules, &at)?;
            let g = commit(tx, g, &at)?;
            let c = change(
                format!("Removed governance rule {} “{}”", rule.id, rule.title),
                &g,
                &rule.id,
            );
            Ok((g, c))
        })
        .await
    }

    /// `governance.rules.reorder`
    pub async fn reorder_governance_rules(
        &self,
        ctx: &Ctx,
        i: ReorderGovernanceRulesInput,
    ) -> Result<Mutated<Governance>, ApiError> {
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let mut g = fenced(tx, &app.id, i.revision)?;
            let have: Vec<&str> = g.rules.iter().map(|r| r.id.as_str()).collect();
            same_set(&i.ids, &have, "governance rules of the app")?;
            let mut ordered: Vec<GovernanceRule> = i
                .ids
                .iter()
                .filter_map(|id| g.rules.iter().find(|r| &r.id == id).cloned())
                .collect();
            let at = clock::now();
            renumber(tx, &app.id, &mut ordered, &at)?;
            g.rules = ordered;
            let g = commit(tx, g, &at)?;
            let c = change(
                format!("Reordered the governance rules of {}", app.name),
                &g,
                &app.id,
            );
            Ok((g, c))
        })
        .await
    }
}
