//! `refine feature`: Features, ordered groups of Goals.

use clap::Subcommand;
use refine_api::ops::features;
use refine_client::Client;
use refine_core::work::{
    CreateFeatureInput, FeatureDetail, FeatureGoalInput, FeatureIdInput, ListFeaturesInput,
    ReorderFeatureInput, UpdateFeatureInput,
};
use refine_model::work::Feature;

use super::{pick_one, Commands, Run};
use crate::render::{state, wire, Cell, Printer, Render};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum FeatureCmd {
    /// Create a Feature, optionally with Goals in order.
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
        goals: Vec<String>,
    },
    /// List Features with progress.
    List,
    /// Show a Feature and its Goals in order.
    Show { feature: String },
    /// Put a Goal into a Feature (at 1-based position --at, default last).
    Add {
        feature: String,
        goal: String,
        #[arg(long)]
        at: Option<u32>,
    },
    /// Take a Goal out of a Feature.
    Remove { feature: String, goal: String },
    /// Set the order of a Feature's Goals (all of them).
    Reorder { feature: String, goals: Vec<String> },
    /// Rename a Feature.
    Rename { feature: String, name: String },
    /// Delete a Feature (its Goals stay).
    #[command(alias = "rm")]
    Delete { feature: String },
}

pub const COMMANDS: Commands = &[
    ("create", &[features::CREATE.name]),
    ("list", &[features::LIST.name]),
    ("show", &[features::GET.name, features::LIST.name]),
    ("add", &[features::ADD_GOAL.name, features::LIST.name]),
    ("remove", &[features::REMOVE_GOAL.name, features::LIST.name]),
    ("reorder", &[features::REORDER.name, features::LIST.name]),
    ("rename", &[features::UPDATE.name, features::LIST.name]),
    ("delete", &[features::DELETE.name, features::LIST.name]),
];

/// A Feature given by name, id or unique id prefix.
pub async fn feature_id(c: &Client, given: &str) -> Result<String> {
    let list = c.run(features::LIST, &ListFeaturesInput::default()).await?;
    let f = pick_one(
        "Feature",
        given,
        &list,
        |f| &f.id,
        |f| &f.name,
        "`refine feature list` shows them",
    )?;
    Ok(f.id.clone())
}

pub async fn run(r: &Run<'_>, cmd: &FeatureCmd) -> Result {
    let c = r.c;
    let detail = match cmd {
        FeatureCmd::Create {
            name,
            description,
            goals,
        } => {
            let input = CreateFeatureInput {
                app_id: None,
                name: name.clone(),
                description: description.clone(),
                goal_ids: Some(goals.clone()),
            };
            c.run(features::CREATE, &input).await?
        }
        FeatureCmd::List => {
            let list = c.run(features::LIST, &ListFeaturesInput::default()).await?;
            return r.out.show(&FeatureList(list));
        }
        FeatureCmd::Show { feature } => {
            let id = feature_id(c, feature).await?;
            c.run(features::GET, &FeatureIdInput { id }).await?
        }
        FeatureCmd::Add { feature, goal, at } => {
            let input = FeatureGoalInput {
                id: feature_id(c, feature).await?,
                goal_id: goal.clone(),
                index: at.map(|a| a.saturating_sub(1)),
            };
            c.run(features::ADD_GOAL, &input).await?
        }
        FeatureCmd::Remove { feature, goal } => {
            let input = FeatureGoalInput {
                id: feature_id(c, feature).await?,
                goal_id: goal.clone(),
                index: None,
            };
            c.run(features::REMOVE_GOAL, &input).await?
        }
        FeatureCmd::Reorder { feature, goals } => {
            let input = ReorderFeatureInput {
                id: feature_id(c, feature).await?,
                goal_ids: goals.clone(),
            };
            c.run(features::REORDER, &input).await?
        }
        FeatureCmd::Rename { feature, name } => {
            let input = UpdateFeatureInput {
                id: feature_id(c, feature).await?,
                name: Some(name.clone()),
                description: None,
            };
            c.run(features::UPDATE, &input).await?
        }
        FeatureCmd::Delete { feature } => {
            let id = feature_id(c, feature).await?;
            let f = c.run(features::DELETE, &FeatureIdInput { id }).await?;
            return r.out.done(&f, |f| {
                format!("Deleted Feature “{}”; its Goals stay", f.name)
            });
        }
    };
    r.out.show(&detail)
}

/// `feature list`: one row per Feature with its progress.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct FeatureList(pub Vec<Feature>);

impl Render for FeatureList {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .0
            .iter()
            .map(|f| {
                vec![
                    Cell::from(&f.name),
                    state(wire(&f.status)),
                    Cell::from(format!("{}/{}", f.done, f.total)),
                    Cell::from(&f.id),
                ]
            })
            .collect();
        p.table(&["name", "status", "done", "id"], rows);
    }
}

/// A Feature and its Goals in order.
impl Render for FeatureDetail {
    fn render(&self, p: &mut Printer) {
        let f = &self.feature;
        p.line(format!(
            "{}  [{}]  {}/{} done",
            f.name,
            wire(&f.status),
            f.done,
            f.total
        ));
        if !f.description.is_empty() {
            p.line(format!("  {}", f.description));
        }
        let rows = self
            .goals
            .iter()
            .enumerate()
            .map(|(i, g)| {
                vec![
                    Cell::from(format!("{}.", i + 1)),
                    Cell::from(format!("#{}", g.number)),
                    state(wire(&g.status)),
                    Cell::from(&g.title),
                ]
            })
            .collect();
        p.table(&["pos", "#", "status", "title"], rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    fn feature() -> Feature {
        serde_json::from_value(serde_json::json!({
            "id": "0190a1b2-0000-7000-8000-0000000000f1", "appId": "a1", "name": "Checkout",
            "description": "Pay and leave", "status": "in_progress", "goalIds": ["g2", "g1"],
            "done": 1, "total": 2, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"
        }))
        .expect("a Feature")
    }

    #[test]
    fn features_render_from_their_typed_output() {
        let list = shown(&FeatureList(vec![feature()]));
        assert!(
            list.contains("Checkout  in_progress  1/2   0190a1b2-0000-7000-8000-0000000000f1"),
            "{list}"
        );
        let mut g = super::super::goal::tests::goal();
        g.title = "Coupon API".into();
        g.number = 2;
        let detail = shown(&FeatureDetail {
            feature: feature(),
            goals: vec![g],
        });
        assert!(
            detail.starts_with("Checkout  [in_progress]  1/2 done\n  Pay and leave\n"),
            "{detail}"
        );
        let first = detail.lines().find(|l| l.starts_with("1.")).unwrap();
        assert_eq!(first, "1.   #2  todo    Coupon API");
    }
}
