//! work: Goals (create, read, patch, soft delete, restore, bulk edit, list, search, export) and
//! Features (ordered groups of Goals).

use crate::events::kind;
use refine_model::event::{BulkUpdated, IdRef};
use refine_model::work::{ExternalRef, Feature, Goal};
use refine_model::workflow::WorkflowState;
use refine_model::ApiError;
use refine_store::features::{self as ftable, FeatureRow};
use refine_store::goals::{self as gtable, GoalFilter, Sort};
use refine_store::rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;

use crate::apps::validate_id;
use crate::wire::{self, double_option};
use crate::{clock, new_id, Change, Core, Ctx, Mutated};

/// A new Goal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateGoalInput {
    /// Default: the active app.
    #[serde(default)]
    pub app_id: Option<String>,
    pub title: String,
    /// Markdown: what exists vs. what should exist.
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// `backlog` (default) or `todo`.
    #[serde(default)]
    pub status: Option<WorkflowState>,
    /// Higher first (default 0).
    #[serde(default)]
    pub priority: Option<i32>,
    #[serde(default)]
    pub reporter_id: Option<String>,
    #[serde(default)]
    pub assignee: Option<String>,
    /// Appended at the end of this Feature.
    #[serde(default)]
    pub feature_id: Option<String>,
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    #[serde(default)]
    pub external: Option<ExternalRef>,
    /// Best-of-N: candidates each Round implements side by side (1-5; default: the app's
    /// `runner.candidates` setting).
    #[serde(default)]
    pub candidates: Option<u32>,
}

/// A Goal by id, or by number (`12` or `#12`) within the active app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoalIdInput {
    pub id: String,
}

/// A partial patch of a Goal (status changes go through the workflow operations). A field
/// left `None` is not serialized at all, so a typed client's patch leaves it as it is (`null`
/// would clear it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateGoalInput {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub priority: Option<i32>,
    /// `null` clears it.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[specta(type = Option<String>)]
    pub reporter_id: Option<Option<String>>,
    /// `null` clears it.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[specta(type = Option<String>)]
    pub assignee: Option<Option<String>>,
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    /// Move into this Feature (appended), or `null` to take it out of its Feature.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[specta(type = Option<String>)]
    pub feature_id: Option<Option<String>>,
    /// Best-of-N candidates per Round (1-5), or `null` for the app's setting.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[specta(type = Option<u32>)]
    pub candidates: Option<Option<u32>>,
}

/// The same change applied to many Goals; each succeeds or fails on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkUpdateInput {
    /// Goal ids or numbers (at most 1,000).
    pub ids: Vec<String>,
    pub patch: BulkPatch,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkPatch {
    /// `backlog`, `todo` or `cancelled` (through the workflow's rules).
    #[serde(default)]
    pub status: Option<WorkflowState>,
    #[serde(default)]
    pub priority: Option<i32>,
    #[serde(default)]
    pub add_labels: Option<Vec<String>>,
    #[serde(default)]
    pub remove_labels: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[specta(type = Option<String>)]
    pub assignee: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[specta(type = Option<String>)]
    pub feature_id: Option<Option<String>>,
}

/// What happened to one Goal of a bulk edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkItem {
    pub id: String,
    pub ok: bool,
    pub error: Option<ApiError>,
    pub goal: Option<Goal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkResult {
    pub updated: u32,
    pub failed: u32,
    pub results: Vec<BulkItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GoalSort {
    /// Priority high → low, then number (default).
    Priority,
    Newest,
    Oldest,
    Updated,
    Number,
    Title,
}

/// Filters, sort and cursor pagination for Goals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListGoalsInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// Any of these states (query string: `status=todo,review`).
    #[serde(default)]
    pub status: Option<Vec<WorkflowState>>,
    /// A Feature id, or `none` for Goals without a Feature.
    #[serde(default)]
    pub feature_id: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub reporter_id: Option<String>,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub node_id: Option<String>,
    /// Full-text search over title, prompt and notes (words; prefix match).
    #[serde(default)]
    pub q: Option<String>,
    /// List deleted (restorable) Goals instead.
    #[serde(default)]
    pub deleted: Option<bool>,
    #[serde(default)]
    pub sort: Option<GoalSort>,
    /// 1..=500, default 50.
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoalPage {
    pub items: Vec<Goal>,
    pub next_cursor: Option<String>,
    /// Matching Goals across all pages (first page only), counted up to 10,000.
    pub total: Option<u32>,
    /// More Goals match than `total` says (it stopped counting at 10,000).
    pub total_is_lower_bound: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Lossless; `import` reads it back.
    Json,
    /// Jira-compatible columns.
    Csv,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub format: ExportFormat,
}

/// An export, as text to save.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportFile {
    pub filename: String,
    pub content_type: String,
    pub goals: u32,
    pub content: String,
}

/// A new Feature.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateFeatureInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Goals to put in it, in this order.
    #[serde(default)]
    pub goal_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeatureIdInput {
    pub id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateFeatureInput {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListFeaturesInput {
    #[serde(default)]
    pub app_id: Option<String>,
}

/// A Feature with its Goals in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeatureDetail {
    pub feature: Feature,
    pub goals: Vec<Goal>,
}

/// Put a Goal into a Feature at a position (default: the end); it leaves its previous Feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeatureGoalInput {
    pub id: String,
    pub goal_id: String,
    #[serde(default)]
    pub index: Option<u32>,
}

/// The complete new order of a Feature's Goals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReorderFeatureInput {
    pub id: String,
    pub goal_ids: Vec<String>,
}

/// Turn a person's search words into a safe FTS5 query (each word a quoted prefix).
pub fn fts_query(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '-')
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .take(16)
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

pub(crate) fn not_found_goal(id: &str) -> ApiError {
    ApiError::not_found(format!("no Goal {id}"))
}

/// Find a goal by id or `#number` inside a transaction.
pub(crate) fn find_goal(
    conn: &Connection,
    app_id: Option<&str>,
    r: &str,
) -> Result<Goal, ApiError> {
    let r = r.trim();
    let number = r.strip_prefix('#').unwrap_or(r);
    if let (Ok(n), Some(app)) = (number.parse::<u32>(), app_id) {
        return gtable::get_by_number(conn, app, n)?.ok_or_else(|| not_found_goal(r));
    }
    validate_id("goal", r)?;
    let g = gtable::get(conn, r)?.ok_or_else(|| not_found_goal(r))?;
    if app_id.is_some_and(|a| a != g.app_id) {
        return Err(not_found_goal(r));
    }
    Ok(g)
}

fn find_feature(conn: &Connection, app_id: &str, id: &str) -> Result<Feature, ApiError> {
    validate_id("feature", id)?;
    ftable::get(conn, id)?
        .filter(|f| f.app_id == app_id)
        .ok_or_else(|| ApiError::not_found(format!("no Feature {id} in this app")))
}

fn check_reporter(conn: &Connection, id: &str) -> Result<(), ApiError> {
    validate_id("reporter", id)?;
    match refine_store::reporters::get(conn, id)? {
        Some(r) if r.removed_at.is_none() => Ok(()),
        Some(_) => Err(ApiError::invalid(format!("reporter {id} was removed"))),
        None => Err(ApiError::not_found(format!("no reporter {id}"))),
    }
}

fn check_assignee(a: &str) -> Result<String, ApiError> {
    wire::name("assignee", a, 100)
}

/// Take a goal out of its feature and close the gap.
fn leave_feature(conn: &Connection, g: &mut Goal, at: &str) -> Result<(), ApiError> {
    if let Some(fid) = g.feature_id.take() {
        g.position = None;
        g.feature_name = None;
        gtable::update(conn, g)?;
        let rest: Vec<String> = ftable::goals_in(conn, &fid)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        ftable::set_order(conn, &fid, &rest)?;
        ftable::touch(conn, &fid, at)?;
    }
    Ok(())
}

/// Put a goal into a feature at `index` (default end), renumbering positions.
pub(crate) fn join_feature(
    conn: &Connection,
    g: &mut Goal,
    feature: FeatureRef<'_>,
    index: Option<u32>,
    at: &str,
) -> Result<(), ApiError> {
    let joining = g.feature_id.as_deref() != Some(feature.id);
    if joining {
        leave_feature(conn, g, at)?;
    }
    if joining && index.is_none() {
        // Appended: after the last (one index lookup), the others keep their places — an
        // import of thousands into one Feature does not renumber the Feature per Goal.
        g.feature_id = Some(feature.id.to_string());
        g.feature_name = Some(feature.name.to_string());
        g.position = Some(ftable::next_position(conn, feature.id)?);
        gtable::update(conn, g)?;
        ftable::touch(conn, feature.id, at)?;
        return Ok(());
    }
    let mut order: Vec<String> = ftable::goals_in(conn, feature.id)?
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| id != &g.id)
        .collect();
    let i = index
        .map(|i| (i as usize).min(order.len()))
        .unwrap_or(order.len());
    order.insert(i, g.id.clone());
    g.feature_id = Some(feature.id.to_string());
    g.feature_name = Some(feature.name.to_string());
    g.position = Some(i as u32);
    gtable::update(conn, g)?;
    ftable::set_order(conn, feature.id, &order)?;
    ftable::touch(conn, feature.id, at)?;
    Ok(())
}

/// The Feature a Goal joins: its id and name are all a join needs.
#[derive(Clone, Copy)]
pub(crate) struct FeatureRef<'a> {
    pub id: &'a str,
    pub name: &'a str,
}

impl<'a> From<&'a Feature> for FeatureRef<'a> {
    fn from(f: &'a Feature) -> Self {
        FeatureRef {
            id: &f.id,
            name: &f.name,
        }
    }
}

impl<'a> From<&'a ftable::FeatureRow> for FeatureRef<'a> {
    fn from(f: &'a ftable::FeatureRow) -> Self {
        FeatureRef {
            id: &f.id,
            name: &f.name,
        }
    }
}

/// Best-of-N asks for 1 to 5 candidates per Round.
pub(crate) fn check_candidates(n: u32) -> Result<u32, ApiError> {
    if (1..=5).contains(&n) {
        Ok(n)
    } else {
        Err(ApiError::invalid(format!(
            "candidates must be between 1 and 5 (best-of-N), got {n}"
        )))
    }
}

/// Build and insert a goal inside a transaction (shared with import).
pub(crate) fn insert_goal(
    conn: &Connection,
    ctx: &Ctx,
    app_id: &str,
    node_id: &str,
    input: &CreateGoalInput,
    at: &str,
    number: Option<u32>,
) -> Result<Goal, ApiError> {
    let title = wire::name("title", &input.title, 300)?;
    let prompt = input.prompt.clone().unwrap_or_default();
    wire::text("prompt", &prompt, 100_000, true)?;
    let notes = input.notes.clone().unwrap_or_default();
    wire::text("notes", &notes, 100_000, true)?;
    let status = input.status.unwrap_or(WorkflowState::Backlog);
    if !matches!(
        status,
        WorkflowState::Backlog
            | WorkflowState::Todo
            | WorkflowState::Done
            | WorkflowState::Cancelled
    ) || (matches!(status, WorkflowState::Done | WorkflowState::Cancelled)
        && input.external.is_none())
    {
        return Err(ApiError::invalid(
            "a new Goal starts in backlog or todo (done and cancelled only for imported work)",
        ));
    }
    let labels = wire::labels(input.labels.as_deref().unwrap_or(&[]))?;
    if let Some(r) = &input.reporter_id {
        check_reporter(conn, r)?;
    }
    let assignee = input.assignee.as_deref().map(check_assignee).transpose()?;
    if let Some(e) = &input.external {
        wire::name("external.source", &e.source, 40)?;
        wire::name("external.id", &e.id, 200)?;
        if gtable::find_external(conn, app_id, &e.source, &e.id)?.is_some() {
            return Err(ApiError::conflict(format!(
                "a Goal from {} {} already exists",
                e.source, e.id
            )));
        }
    }
    // The Feature's row only: building it would read its whole Goal list (per Goal of an
    // import into one Feature, that was quadratic).
    let feature = match input.feature_id.as_deref() {
        None => None,
        Some(id) => {
            validate_id("feature", id)?;
            Some(
                ftable::get_row(conn, id)?
                    .filter(|f| f.app_id == app_id)
                    .ok_or_else(|| ApiError::not_found(format!("no Feature {id} in this app")))?,
            )
        }
    };
    let mut g = Goal {
        id: new_id(),
        app_id: app_id.to_string(),
        number: match number {
            Some(n) => n.max(gtable::next_number(conn, app_id)?),
            None => gtable::next_number(conn, app_id)?,
        },
        title,
        prompt,
        notes,
        status,
        priority: input.priority.unwrap_or(0),
        reporter_id: input.reporter_id.clone(),
        reporter_name: None,
        assignee,
        feature_id: None,
        feature_name: None,
        position: None,
        node_id: node_id.to_string(),
        labels,
        external: input.external.clone(),
        created_at: at.to_string(),
        updated_at: at.to_string(),
        deleted_at: None,
        candidates: input.candidates.map(check_candidates).transpose()?,
        pinned_node: None,
        rounds: Vec::new(),
    };
    gtable::insert(conn, &g)?;
    gtable::insert_round(conn, &g.id, 1, "First attempt", at)?;
    gtable::record_transition(conn, &g, None, status, at, &ctx.actor)?;
    if let Some(f) = &feature {
        join_feature(conn, &mut g, f.into(), None, at)?;
    }
    gtable::get(conn, &g.id)?.ok_or_else(|| not_found_goal(&g.id))
}

impl Core {
    /// The app a work request is about.
    pub(crate) async fn work_app(
        &self,
        ctx: &Ctx,
        explicit: Option<&str>,
    ) -> Result<String, ApiError> {
        Ok(self.resolve_app(ctx, explicit).await?.id)
    }

    /// `goals.create`
    pub async fn goals_create(
        &self,
        ctx: &Ctx,
        input: CreateGoalInput,
    ) -> Result<Mutated<Goal>, ApiError> {
        let app = self.work_app(ctx, input.app_id.as_deref()).await?;
        let node = self.node_id().to_string();
        let ctx2 = ctx.clone();
        let i = input.clone();
        // A shared app's numbers come from the cluster, so no two nodes make the same #.
        let number = self.cluster_number(&app).await?;
        let request = crate::pipeline::without_nulls(&input)?;
        self.mutate(ctx, &request, async { Ok(()) }, move |tx, ()| {
            let g = insert_goal(tx, &ctx2, &app, &node, &i, &clock::now(), number)?;
            let change = Change::new(format!("Created Goal #{} “{}”", g.number, g.title))
                .app(Some(app.clone()))
                .target(g.id.clone());
            let change = change.event(kind::GOAL_CREATED, &g);
            Ok((g, change))
        })
        .await
    }

    /// `goals.get`
    pub async fn goals_get(&self, ctx: &Ctx, input: GoalIdInput) -> Result<Goal, ApiError> {
        let app = self.resolve_app(ctx, None).await.ok().map(|a| a.id);
        self.read(move |c| Ok(find_goal(c, app.as_deref(), &input.id)))
            .await?
    }

    /// A Goal by id (or by `#number` in the active app).
    pub(crate) async fn get_goal_any(&self, id: &str) -> Result<Goal, ApiError> {
        let ctx = Ctx::new(refine_model::Surface::System);
        let by_number = id.trim().trim_start_matches('#').parse::<u32>().is_ok();
        let app = if by_number {
            self.resolve_app(&ctx, None).await.ok().map(|a| a.id)
        } else {
            None // an id names one Goal in whatever app
        };
        let id = id.to_string();
        self.read(move |c| Ok(find_goal(c, app.as_deref(), &id)))
            .await?
    }

    /// `goals.update`
    pub async fn goals_update(
        &self,
        ctx: &Ctx,
        input: UpdateGoalInput,
    ) -> Result<Mutated<Goal>, ApiError> {
        let app = self.resolve_app(ctx, None).await.ok().map(|a| a.id);
        let i = input.clone();
        self.mutate(ctx, &input, async { Ok(()) }, move |tx, ()| {
            let mut g = find_goal(tx, app.as_deref(), &i.id)?;
            if g.deleted_at.is_some() {
                return Err(ApiError::conflict(format!(
                    "Goal #{} is deleted; restore it first",
                    g.number
                )));
            }
            let at = clock::now();
            let mut changed = Vec::new();
            if let Some(t) = &i.title {
                g.title = wire::name("title", t, 300)?;
                changed.push("title");
            }
            if let Some(p) = &i.prompt {
                wire::text("prompt", p, 100_000, true)?;
                g.prompt = p.clone();
                changed.push("prompt");
            }
            if let Some(n) = &i.notes {
                wire::text("notes", n, 100_000, true)?;
                g.notes = n.clone();
                changed.push("notes");
            }
            if let Some(p) = i.priority {
                g.priority = p;
                changed.push("priority");
            }
            if let Some(r) = &i.reporter_id {
                if let Some(r) = r {
                    check_reporter(tx, r)?;
                }
                g.reporter_id = r.clone();
                changed.push("reporter");
            }
            if let Some(a) = &i.assignee {
                g.assignee = a.as_deref().map(check_assignee).transpose()?;
                changed.push("assignee");
            }
            if let Some(l) = &i.labels {
                g.labels = wire::labels(l)?;
                changed.push("labels");
            }
            if let Some(n) = i.candidates {
                g.candidates = n.map(check_candidates).transpose()?;
                changed.push("candidates");
            }
            g.updated_at = at.clone();
            gtable::update(tx, &g)?;
            if let Some(f) = &i.feature_id {
                match f {
                    Some(fid) => {
                        let feature = find_feature(tx, &g.app_id, fid)?;
                        if g.feature_id.as_deref() != Some(fid.as_str()) {
                            join_feature(tx, &mut g, (&feature).into(), None, &at)?;
                        }
                    }
                    None => leave_feature(tx, &mut g, &at)?,
                }
                changed.push("feature");
            }
            if changed.is_empty() {
                return Err(ApiError::invalid(
                    "nothing to change: name at least one field",
                ));
            }
            let g = gtable::get(tx, &g.id)?.ok_or_else(|| not_found_goal(&i.id))?;
            let change = Change::new(format!(
                "Edited Goal #{} ({})",
                g.number,
                changed.join(", ")
            ))
            .app(Some(g.app_id.clone()))
            .target(g.id.clone());
            let change = change.event(kind::GOAL_UPDATED, &g);
            Ok((g, change))
        })
        .await
    }

    async fn set_deleted(
        &self,
        ctx: &Ctx,
        input: GoalIdInput,
        delete: bool,
    ) -> Result<Mutated<Goal>, ApiError> {
        let app = self.resolve_app(ctx, None).await.ok().map(|a| a.id);
        let i = input.clone();
        self.mutate(ctx, &input, async { Ok(()) }, move |tx, ()| {
            let mut g = find_goal(tx, app.as_deref(), &i.id)?;
            let at = clock::now();
            match (delete, g.deleted_at.is_some()) {
                (true, true) => {
                    return Err(ApiError::conflict(format!(
                        "Goal #{} is already deleted",
                        g.number
                    )))
                }
                (false, false) => {
                    return Err(ApiError::conflict(format!(
                        "Goal #{} is not deleted",
                        g.number
                    )))
                }
                _ => {}
            }
            g.deleted_at = delete.then(|| at.clone());
            g.updated_at = at.clone();
            gtable::update(tx, &g)?;
            if let Some(fid) = g.feature_id.clone() {
                // Deleted goals leave the order; restored ones go back to the end.
                let mut order: Vec<String> = ftable::goals_in(tx, &fid)?
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect();
                if !delete {
                    order.retain(|id| id != &g.id);
                    order.push(g.id.clone());
                }
                ftable::set_order(tx, &fid, &order)?;
            }
            let g = gtable::get(tx, &g.id)?.ok_or_else(|| not_found_goal(&i.id))?;
            let verb = if delete { "Deleted" } else { "Restored" };
            let change = Change::new(format!("{verb} Goal #{} “{}”", g.number, g.title))
                .app(Some(g.app_id.clone()))
                .target(g.id.clone());
            let change = change.event(
                if delete {
                    kind::GOAL_DELETED
                } else {
                    kind::GOAL_UPDATED
                },
                &g,
            );
            Ok((g, change))
        })
        .await
    }

    /// `goals.delete` (soft: restorable)
    pub async fn goals_delete(
        &self,
        ctx: &Ctx,
        input: GoalIdInput,
    ) -> Result<Mutated<Goal>, ApiError> {
        self.set_deleted(ctx, input, true).await
    }

    /// `goals.restore`
    pub async fn goals_restore(
        &self,
        ctx: &Ctx,
        input: GoalIdInput,
    ) -> Result<Mutated<Goal>, ApiError> {
        self.set_deleted(ctx, input, false).await
    }

    /// `goals.bulk_update`
    pub async fn goals_bulk_update(
        &self,
        ctx: &Ctx,
        input: BulkUpdateInput,
    ) -> Result<Mutated<BulkResult>, ApiError> {
        if input.ids.is_empty() || input.ids.len() > 1000 {
            return Err(ApiError::invalid("ids must name 1 to 1,000 Goals"));
        }
        if input.patch == BulkPatch::default() {
            return Err(ApiError::invalid("the patch changes nothing"));
        }
        if let Some(s) = input.patch.status {
            if !matches!(
                s,
                WorkflowState::Backlog | WorkflowState::Todo | WorkflowState::Cancelled
            ) {
                return Err(ApiError::invalid(
                    "bulk status changes go to backlog, todo or cancelled",
                ));
            }
        }
        let app = self.work_app(ctx, None).await?;
        let ctx2 = ctx.clone();
        let i = input.clone();
        let out = self
            .mutate(ctx, &input, async { Ok(()) }, move |tx, ()| {
                let at = clock::now();
                let mut results = Vec::new();
                for id in &i.ids {
                    // Each item in its own savepoint: a refused item leaves no trace, the rest stay.
                    tx.execute_batch("SAVEPOINT bulk_item")
                        .map_err(|e| ApiError::from(refine_store::StoreError::from(e)))?;
                    match bulk_one(tx, &ctx2, &app, id, &i.patch, &at) {
                        Ok(g) => {
                            tx.execute_batch("RELEASE bulk_item")
                                .map_err(|e| ApiError::from(refine_store::StoreError::from(e)))?;
                            results.push(BulkItem {
                                id: id.clone(),
                                ok: true,
                                error: None,
                                goal: Some(g),
                            });
                        }
                        Err(e) => {
                            tx.execute_batch("ROLLBACK TO bulk_item; RELEASE bulk_item")
                                .map_err(|e| ApiError::from(refine_store::StoreError::from(e)))?;
                            results.push(BulkItem {
                                id: id.clone(),
                                ok: false,
                                error: Some(e),
                                goal: None,
                            });
                        }
                    }
                }
                let updated = results.iter().filter(|r| r.ok).count() as u32;
                let failed = results.len() as u32 - updated;
                let change = Change::new(format!(
                    "Bulk edit: {updated} Goal(s) changed, {failed} refused"
                ))
                .app(Some(app.clone()))
                .event(kind::GOALS_BULK_UPDATED, &BulkUpdated { updated, failed });
                Ok((
                    BulkResult {
                        updated,
                        failed,
                        results,
                    },
                    change,
                ))
            })
            .await?;
        if !out.replayed {
            for g in out.value.results.iter().filter_map(|r| r.goal.as_ref()) {
                self.bus()
                    .publish(kind::GOAL_UPDATED, Some(g.app_id.clone()), g);
            }
        }
        Ok(out)
    }

    /// `goals.list`
    pub async fn goals_list(&self, ctx: &Ctx, input: ListGoalsInput) -> Result<GoalPage, ApiError> {
        let app = self.work_app(ctx, input.app_id.as_deref()).await?;
        let limit = crate::operations::page_limit(input.limit)?;
        let after = match &input.cursor {
            None => None,
            Some(c) => {
                let bytes = hex::decode(c).map_err(|_| {
                    ApiError::invalid("cursor is malformed; pass nextCursor unchanged")
                })?;
                let v: (serde_json::Value, u32) = serde_json::from_slice(&bytes).map_err(|_| {
                    ApiError::invalid("cursor is malformed; pass nextCursor unchanged")
                })?;
                Some(v)
            }
        };
        for (what, v) in [
            ("feature", &input.feature_id),
            ("reporter", &input.reporter_id),
        ] {
            if let Some(v) = v {
                if !(what == "feature" && v == "none") {
                    validate_id(what, v)?;
                }
            }
        }
        let text = match input.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => {
                wire::text("q", q, 500, false)?;
                Some(fts_query(q).ok_or_else(|| ApiError::invalid("the search has no words"))?)
            }
            None => None,
        };
        let filter = GoalFilter {
            app_id: app,
            statuses: input.status.clone().unwrap_or_default(),
            feature_id: input.feature_id.as_ref().map(|f| {
                if f == "none" {
                    None
                } else {
                    Some(f.clone())
                }
            }),
            label: input.label.clone(),
            reporter_id: input.reporter_id.clone(),
            assignee: input.assignee.clone(),
            node_id: input.node_id.clone(),
            text,
            deleted: input.deleted.unwrap_or(false),
            sort: input.sort.map(|s| match s {
                GoalSort::Priority => Sort::Priority,
                GoalSort::Newest => Sort::Newest,
                GoalSort::Oldest => Sort::Oldest,
                GoalSort::Updated => Sort::Updated,
                GoalSort::Number => Sort::Number,
                GoalSort::Title => Sort::Title,
            }),
            after,
            limit,
        };
        let page = self.read(move |c| gtable::list(c, &filter)).await?;
        Ok(GoalPage {
            items: page.goals,
            next_cursor: page
                .next
                .map(|n| hex::encode(serde_json::to_vec(&n).unwrap_or_default())),
            total: page.total,
            total_is_lower_bound: page.total_capped,
        })
    }

    /// `goals.export`
    pub async fn goals_export(
        &self,
        ctx: &Ctx,
        input: ExportInput,
    ) -> Result<ExportFile, ApiError> {
        let app = self.resolve_app(ctx, input.app_id.as_deref()).await?;
        let id = app.id.clone();
        let (goals, features) = self
            .read(move |c| Ok((gtable::all(c, &id)?, ftable::list(c, &id)?)))
            .await?;
        let slug: String = app
            .name
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '-' })
            .collect();
        let n = goals.len() as u32;
        Ok(match input.format {
            ExportFormat::Json => ExportFile {
                filename: format!("{slug}-refine.json"),
                content_type: "application/json".into(),
                goals: n,
                content: serde_json::to_string_pretty(&json!({
                    "format": "refine-work",
                    "version": 1,
                    "exportedAt": clock::now(),
                    "app": {"name": app.name, "path": app.path},
                    "features": features,
                    "goals": goals,
                }))
                .unwrap_or_default(),
            },
            ExportFormat::Csv => ExportFile {
                filename: format!("{slug}-refine.csv"),
                content_type: "text/csv".into(),
                goals: n,
                content: crate::import::jira_csv(&goals),
            },
        })
    }

    /// `features.create`
    pub async fn features_create(
        &self,
        ctx: &Ctx,
        input: CreateFeatureInput,
    ) -> Result<Mutated<FeatureDetail>, ApiError> {
        let app = self.work_app(ctx, input.app_id.as_deref()).await?;
        let i = input.clone();
        self.mutate(ctx, &input, async { Ok(()) }, move |tx, ()| {
            let name = wire::name("name", &i.name, 200)?;
            let description = i.description.clone().unwrap_or_default();
            wire::text("description", &description, 20_000, true)?;
            if ftable::find_by_name(tx, &app, &name)?.is_some() {
                return Err(ApiError::conflict(format!(
                    "a Feature named “{name}” already exists in this app"
                )));
            }
            let at = clock::now();
            let row = FeatureRow {
                id: new_id(),
                app_id: app.clone(),
                name,
                description,
                created_at: at.clone(),
                updated_at: at.clone(),
            };
            ftable::insert(tx, &row)?;
            let feature =
                ftable::get(tx, &row.id)?.ok_or_else(|| ApiError::internal("feature vanished"))?;
            for gid in i.goal_ids.as_deref().unwrap_or(&[]) {
                let mut g = find_goal(tx, Some(&app), gid)?;
                join_feature(tx, &mut g, (&feature).into(), None, &at)?;
            }
            let detail = feature_detail(tx, &row.id)?;
            let change = Change::new(format!(
                "Created Feature “{}” with {} Goal(s)",
                detail.feature.name,
                detail.goals.len()
            ))
            .app(Some(app.clone()))
            .target(row.id.clone())
            .event(kind::FEATURE_UPDATED, &detail.feature);
            Ok((detail, change))
        })
        .await
    }

    /// `features.list`
    pub async fn features_list(
        &self,
        ctx: &Ctx,
        input: ListFeaturesInput,
    ) -> Result<Vec<Feature>, ApiError> {
        let app = self.work_app(ctx, input.app_id.as_deref()).await?;
        self.read(move |c| ftable::list(c, &app)).await
    }

    /// `features.get`
    pub async fn features_get(
        &self,
        ctx: &Ctx,
        input: FeatureIdInput,
    ) -> Result<FeatureDetail, ApiError> {
        let app = self.work_app(ctx, None).await?;
        self.read(move |c| {
            Ok(find_feature(c, &app, &input.id).and_then(|f| feature_detail(c, &f.id)))
        })
        .await?
    }

    /// `features.update`
    pub async fn features_update(
        &self,
        ctx: &Ctx,
        input: UpdateFeatureInput,
    ) -> Result<Mutated<FeatureDetail>, ApiError> {
        let app = self.work_app(ctx, None).await?;
        let i = input.clone();
        self.feature_change(ctx, &input, move |tx| {
            let f = find_feature(tx, &app, &i.id)?;
            let name = match &i.name {
                Some(n) => {
                    let n = wire::name("name", n, 200)?;
                    if n != f.name && ftable::find_by_name(tx, &app, &n)?.is_some() {
                        return Err(ApiError::conflict(format!(
                            "a Feature named “{n}” already exists in this app"
                        )));
                    }
                    n
                }
                None => f.name.clone(),
            };
            let description = i.description.clone().unwrap_or(f.description.clone());
            wire::text("description", &description, 20_000, true)?;
            ftable::update(tx, &f.id, &name, &description, &clock::now())?;
            Ok((f.id, format!("Edited Feature “{name}”")))
        })
        .await
    }

    /// `features.delete`: its Goals stay, without a Feature.
    pub async fn features_delete(
        &self,
        ctx: &Ctx,
        input: FeatureIdInput,
    ) -> Result<Mutated<Feature>, ApiError> {
        let app = self.work_app(ctx, None).await?;
        let i = input.clone();
        self.mutate(ctx, &input, async { Ok(()) }, move |tx, ()| {
            let f = find_feature(tx, &app, &i.id)?;
            ftable::delete(tx, &f.id)?;
            let change = Change::new(format!(
                "Deleted Feature “{}”; its {} Goal(s) stay",
                f.name,
                f.goal_ids.len()
            ))
            .app(Some(app.clone()))
            .target(f.id.clone())
            .event(kind::FEATURE_DELETED, &IdRef { id: f.id.clone() });
            Ok((f, change))
        })
        .await
    }

    /// `features.add_goal`
    pub async fn features_add_goal(
        &self,
        ctx: &Ctx,
        input: FeatureGoalInput,
    ) -> Result<Mutated<FeatureDetail>, ApiError> {
        let app = self.work_app(ctx, None).await?;
        let i = input.clone();
        self.feature_change(ctx, &input, move |tx| {
            let f = find_feature(tx, &app, &i.id)?;
            let mut g = find_goal(tx, Some(&app), &i.goal_id)?;
            join_feature(tx, &mut g, (&f).into(), i.index, &clock::now())?;
            Ok((
                f.id,
                format!(
                    "Put Goal #{} into Feature “{}” at position {}",
                    g.number,
                    f.name,
                    g.position.unwrap_or(0) + 1
                ),
            ))
        })
        .await
    }

    /// `features.remove_goal`
    pub async fn features_remove_goal(
        &self,
        ctx: &Ctx,
        input: FeatureGoalInput,
    ) -> Result<Mutated<FeatureDetail>, ApiError> {
        let app = self.work_app(ctx, None).await?;
        let i = input.clone();
        self.feature_change(ctx, &input, move |tx| {
            let f = find_feature(tx, &app, &i.id)?;
            let mut g = find_goal(tx, Some(&app), &i.goal_id)?;
            if g.feature_id.as_deref() != Some(f.id.as_str()) {
                return Err(ApiError::invalid(format!(
                    "Goal #{} is not in Feature “{}”",
                    g.number, f.name
                )));
            }
            leave_feature(tx, &mut g, &clock::now())?;
            Ok((
                f.id,
                format!("Took Goal #{} out of Feature “{}”", g.number, f.name),
            ))
        })
        .await
    }

    /// `features.reorder`
    pub async fn features_reorder(
        &self,
        ctx: &Ctx,
        input: ReorderFeatureInput,
    ) -> Result<Mutated<FeatureDetail>, ApiError> {
        let app = self.work_app(ctx, None).await?;
        let i = input.clone();
        self.feature_change(ctx, &input, move |tx| {
            let f = find_feature(tx, &app, &i.id)?;
            let mut ids = Vec::new();
            for r in &i.goal_ids {
                ids.push(find_goal(tx, Some(&app), r)?.id);
            }
            let mut want = ids.clone();
            want.sort();
            let mut have = f.goal_ids.clone();
            have.sort();
            if want != have {
                return Err(ApiError::invalid(format!(
                    "goalIds must list exactly the Feature's {} Goal(s), each once",
                    f.goal_ids.len()
                )));
            }
            ftable::set_order(tx, &f.id, &ids)?;
            ftable::touch(tx, &f.id, &clock::now())?;
            Ok((f.id, format!("Reordered Feature “{}”", f.name)))
        })
        .await
    }

    /// A feature mutation that answers with the feature's detail.
    async fn feature_change<F>(
        &self,
        ctx: &Ctx,
        input: &impl Serialize,
        f: F,
    ) -> Result<Mutated<FeatureDetail>, ApiError>
    where
        F: FnOnce(&refine_store::rusqlite::Connection) -> Result<(String, String), ApiError>
            + Send
            + 'static,
    {
        self.mutate(ctx, input, async { Ok(()) }, move |tx, ()| {
            let (id, summary) = f(tx)?;
            let detail = feature_detail(tx, &id)?;
            let change = Change::new(summary)
                .app(Some(detail.feature.app_id.clone()))
                .target(id)
                .event(kind::FEATURE_UPDATED, &detail.feature);
            Ok((detail, change))
        })
        .await
    }
}

fn feature_detail(conn: &Connection, id: &str) -> Result<FeatureDetail, ApiError> {
    let feature =
        ftable::get(conn, id)?.ok_or_else(|| ApiError::not_found(format!("no Feature {id}")))?;
    let mut goals = Vec::new();
    for gid in &feature.goal_ids {
        if let Some(g) = gtable::get(conn, gid)? {
            goals.push(g);
        }
    }
    Ok(FeatureDetail { feature, goals })
}

fn bulk_one(
    conn: &Connection,
    ctx: &Ctx,
    app: &str,
    id: &str,
    p: &BulkPatch,
    at: &str,
) -> Result<Goal, ApiError> {
    let mut g = find_goal(conn, Some(app), id)?;
    if g.deleted_at.is_some() {
        return Err(ApiError::conflict(format!("Goal #{} is deleted", g.number)));
    }
    // Validate everything before writing anything for this item.
    let feature = match &p.feature_id {
        Some(Some(fid)) => Some(Some(find_feature(conn, app, fid)?)),
        Some(None) => Some(None),
        None => None,
    };
    let add = p.add_labels.as_deref().map(wire::labels).transpose()?;
    let remove = p.remove_labels.clone().unwrap_or_default();
    let assignee = match &p.assignee {
        Some(a) => Some(a.as_deref().map(check_assignee).transpose()?),
        None => None,
    };
    let transition = match p.status {
        Some(to) if to != g.status => {
            let action = if to == WorkflowState::Cancelled {
                refine_model::workflow::Action::Cancel
            } else {
                refine_model::workflow::Action::Move(to)
            };
            Some(refine_model::workflow::transition(g.status, action).map_err(ApiError::conflict)?)
        }
        _ => None,
    };
    if let Some(p) = p.priority {
        g.priority = p;
    }
    if let Some(add) = add {
        for l in add {
            if !g.labels.contains(&l) {
                g.labels.push(l);
            }
        }
        if g.labels.len() > 50 {
            return Err(ApiError::invalid("a Goal has at most 50 labels"));
        }
    }
    g.labels.retain(|l| !remove.contains(l));
    if let Some(a) = assignee {
        g.assignee = a;
    }
    g.updated_at = at.to_string();
    if let Some(t) = transition {
        let from = g.status;
        g.status = t.to;
        gtable::record_transition(conn, &g, Some(from), t.to, at, &ctx.actor)?;
        if t.to == WorkflowState::Cancelled {
            gtable::end_round(conn, &g.id, "cancelled", at)?;
        }
    }
    gtable::update(conn, &g)?;
    match feature {
        Some(Some(f)) if g.feature_id.as_deref() != Some(f.id.as_str()) => {
            join_feature(conn, &mut g, (&f).into(), None, at)?
        }
        Some(None) => leave_feature(conn, &mut g, at)?,
        _ => {}
    }
    gtable::get(conn, &g.id)?.ok_or_else(|| not_found_goal(id))
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_words_become_safe_prefix_queries() {
        assert_eq!(
            super::fts_query("login page").as_deref(),
            Some("\"login\"* \"page\"*")
        );
        assert_eq!(
            super::fts_query("\"; DROP TABLE goals; --").as_deref(),
            Some("\"DROP\"* \"TABLE\"* \"goals\"*")
        );
        assert_eq!(super::fts_query("  !! "), None);
    }
}
