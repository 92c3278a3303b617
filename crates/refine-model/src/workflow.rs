//! The workflow: states, the transition table and start eligibility, as pure functions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// Where a Goal stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Type,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum WorkflowState {
    Backlog,
    Todo,
    Plan,
    Implement,
    Quality,
    Governance,
    Review,
    Done,
    Failed,
    Cancelled,
}

impl WorkflowState {
    pub const ALL: [WorkflowState; 10] = [
        WorkflowState::Backlog,
        WorkflowState::Todo,
        WorkflowState::Plan,
        WorkflowState::Implement,
        WorkflowState::Quality,
        WorkflowState::Governance,
        WorkflowState::Review,
        WorkflowState::Done,
        WorkflowState::Failed,
        WorkflowState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowState::Backlog => "backlog",
            WorkflowState::Todo => "todo",
            WorkflowState::Plan => "plan",
            WorkflowState::Implement => "implement",
            WorkflowState::Quality => "quality",
            WorkflowState::Governance => "governance",
            WorkflowState::Review => "review",
            WorkflowState::Done => "done",
            WorkflowState::Failed => "failed",
            WorkflowState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<WorkflowState> {
        WorkflowState::ALL.into_iter().find(|w| w.as_str() == s)
    }

    /// Done and cancelled: nothing moves a Goal out of them.
    pub fn is_terminal(self) -> bool {
        matches!(self, WorkflowState::Done | WorkflowState::Cancelled)
    }

    /// Automation is working on it (plan..governance).
    pub fn is_running(self) -> bool {
        matches!(
            self,
            WorkflowState::Plan
                | WorkflowState::Implement
                | WorkflowState::Quality
                | WorkflowState::Governance
        )
    }

    /// Queued or running: todo..governance (the window the priority gate looks at).
    pub fn is_pending(self) -> bool {
        self == WorkflowState::Todo || self.is_running()
    }

    /// Far enough for the next Goal of its Feature to start: review, done or cancelled.
    pub fn releases_next(self) -> bool {
        matches!(
            self,
            WorkflowState::Review | WorkflowState::Done | WorkflowState::Cancelled
        )
    }
}

/// What a person (or the automation) asks of a Goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A person moves between backlog and todo.
    Move(WorkflowState),
    /// The automation (or `workflow.advance`) steps through the automated states.
    Advance(WorkflowState),
    /// review → done
    Approve,
    /// review → todo with a new Round, or review → cancelled.
    Decline { cancel: bool },
    /// failed → todo with a new Round.
    Retry,
    /// Any non-terminal state → cancelled.
    Cancel,
    /// review → implement in the same Round: a person's follow-up goes to the agent.
    FollowUp,
    /// review → implement in a new Round on top of the candidate: the reviewers' comments go
    /// to the agent.
    RequestChanges,
}

/// An allowed transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub to: WorkflowState,
    /// The Goal gets a new Round (a new attempt).
    pub new_round: bool,
}

/// The transition table. `Err` carries the reason a person reads.
pub fn transition(from: WorkflowState, action: Action) -> Result<Transition, String> {
    use WorkflowState::*;
    let ok = |to| {
        Ok(Transition {
            to,
            new_round: false,
        })
    };
    let again = |to| {
        Ok(Transition {
            to,
            new_round: true,
        })
    };
    if from.is_terminal() {
        return Err(format!(
            "the Goal is {}; nothing moves it any more",
            from.as_str()
        ));
    }
    match action {
        Action::Move(to) => match (from, to) {
            (Backlog, Todo) | (Todo, Backlog) => ok(to),
            (a, b) if a == b => Err(format!("the Goal is already in {}", a.as_str())),
            (_, Backlog | Todo) => Err(format!(
                "a Goal in {} cannot be moved by hand; cancel it, or retry it once it failed",
                from.as_str()
            )),
            (_, to) => Err(format!(
                "{} is entered by the automation, not by hand (use workflow.advance to step it)",
                to.as_str()
            )),
        },
        Action::Advance(to) => match (from, to) {
            (Todo, Plan)
            | (Plan, Implement)
            | (Implement, Quality)
            | (Quality, Governance)
            | (Governance, Review) => ok(to),
            (Plan | Implement | Quality | Governance, Failed) => ok(Failed),
            // Findings of the checks open a new attempt.
            (Quality | Governance, Implement) => again(Implement),
            _ => Err(format!(
                "the workflow does not go from {} to {}",
                from.as_str(),
                to.as_str()
            )),
        },
        Action::Approve => match from {
            Review => ok(Done),
            _ => Err(format!(
                "only a Goal in review can be approved (this one is in {})",
                from.as_str()
            )),
        },
        Action::Decline { cancel } => match from {
            Review if cancel => ok(Cancelled),
            Review => again(Todo),
            _ => Err(format!(
                "only a Goal in review can be declined (this one is in {})",
                from.as_str()
            )),
        },
        Action::Retry => match from {
            Failed => again(Todo),
            _ => Err(format!(
                "only a failed Goal can be retried (this one is in {})",
                from.as_str()
            )),
        },
        Action::Cancel => ok(Cancelled),
        Action::FollowUp => match from {
            Review => ok(Implement),
            _ => Err(format!(
                "a follow-up goes to a Goal in review (this one is in {})",
                from.as_str()
            )),
        },
        Action::RequestChanges => match from {
            Review => again(Implement),
            _ => Err(format!(
                "changes are requested of a Goal in review (this one is in {})",
                from.as_str()
            )),
        },
    }
}

/// What the eligibility rules need to know about one Goal.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalFacts {
    pub id: String,
    pub title: String,
    pub number: u32,
    pub status: WorkflowState,
    pub priority: i32,
    /// (feature id, feature name, position within the feature)
    pub feature: Option<(String, String, u32)>,
    pub node_id: String,
}

/// Whether a todo Goal may start now, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub goal_id: String,
    pub eligible: bool,
    pub reason: Option<String>,
}

fn label(g: &GoalFacts) -> String {
    format!("#{} “{}”", g.number, g.title)
}

/// For every todo Goal in `goals` (in input order): may it start now? O(n log n).
///
/// Rules: within a Feature, a Goal may not start before every earlier Goal reached review, done
/// or cancelled (a failed one blocks the rest of its Feature); a lower-priority todo may not start
/// while higher-priority work on the same node is in todo..governance. A higher-priority todo that
/// itself waits for its Feature's order does not hold others back: otherwise a Feature whose
/// later Goal has the higher priority would wait for itself forever.
pub fn eligibility(goals: &[GoalFacts]) -> Vec<Verdict> {
    use std::collections::HashMap;
    // Per feature: goal indices in order.
    let mut features: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, g) in goals.iter().enumerate() {
        if let Some((f, _, _)) = &g.feature {
            features.entry(f.as_str()).or_default().push(i);
        }
    }
    // For each goal in a feature: the earliest earlier failed goal, else the first earlier goal
    // that has not reached review.
    let mut feature_block: HashMap<usize, String> = HashMap::new();
    for idx in features.values_mut() {
        idx.sort_by_key(|&i| {
            (
                goals[i].feature.as_ref().map(|f| f.2).unwrap_or(0),
                goals[i].number,
            )
        });
        let mut first_failed: Option<usize> = None;
        let mut first_open: Option<usize> = None;
        for &i in idx.iter() {
            let g = &goals[i];
            if let Some(f) = first_failed {
                let b = &goals[f];
                feature_block.insert(
                    i,
                    format!(
                        "blocked: {} failed earlier in Feature “{}”; retry or cancel it",
                        label(b),
                        feature_name(b)
                    ),
                );
            } else if let Some(o) = first_open {
                let b = &goals[o];
                feature_block.insert(
                    i,
                    format!(
                        "waiting for {} (earlier in Feature “{}”) to reach review; it is in {}",
                        label(b),
                        feature_name(b),
                        b.status.as_str()
                    ),
                );
            }
            if g.status == WorkflowState::Failed && first_failed.is_none() {
                first_failed = Some(i);
            }
            if !g.status.releases_next() && first_open.is_none() {
                first_open = Some(i);
            }
        }
    }
    // Per node: the highest-priority pending goal that can move (running, or a todo free of its
    // Feature's order).
    let mut top: HashMap<&str, usize> = HashMap::new();
    for (i, g) in goals.iter().enumerate() {
        let can_move = g.status.is_running()
            || (g.status == WorkflowState::Todo && !feature_block.contains_key(&i));
        if can_move {
            let e = top.entry(g.node_id.as_str()).or_insert(i);
            if goals[*e].priority < g.priority {
                *e = i;
            }
        }
    }
    goals
        .iter()
        .enumerate()
        .filter(|(_, g)| g.status == WorkflowState::Todo)
        .map(|(i, g)| {
            let reason = feature_block.get(&i).cloned().or_else(|| {
                let t = &goals[*top.get(g.node_id.as_str())?];
                (t.priority > g.priority).then(|| {
                    format!(
                        "waiting for higher-priority work on this node: {} (priority {}, {})",
                        label(t),
                        t.priority,
                        t.status.as_str()
                    )
                })
            });
            Verdict {
                goal_id: g.id.clone(),
                eligible: reason.is_none(),
                reason,
            }
        })
        .collect()
}

fn feature_name(g: &GoalFacts) -> &str {
    g.feature.as_ref().map(|f| f.1.as_str()).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::WorkflowState::*;
    use super::*;
    use proptest::prelude::*;

    fn state() -> impl Strategy<Value = WorkflowState> {
        prop::sample::select(WorkflowState::ALL.to_vec())
    }

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            state().prop_map(Action::Move),
            state().prop_map(Action::Advance),
            Just(Action::Approve),
            any::<bool>().prop_map(|cancel| Action::Decline { cancel }),
            Just(Action::Retry),
            Just(Action::Cancel),
            Just(Action::FollowUp),
            Just(Action::RequestChanges),
        ]
    }

    /// The edges the product allows, written out flat.
    fn allowed(from: WorkflowState, a: Action) -> Option<(WorkflowState, bool)> {
        let edges: &[(WorkflowState, Action, WorkflowState, bool)] = &[
            (Backlog, Action::Move(Todo), Todo, false),
            (Todo, Action::Move(Backlog), Backlog, false),
            (Todo, Action::Advance(Plan), Plan, false),
            (Plan, Action::Advance(Implement), Implement, false),
            (Implement, Action::Advance(Quality), Quality, false),
            (Quality, Action::Advance(Governance), Governance, false),
            (Governance, Action::Advance(Review), Review, false),
            (Plan, Action::Advance(Failed), Failed, false),
            (Implement, Action::Advance(Failed), Failed, false),
            (Quality, Action::Advance(Failed), Failed, false),
            (Governance, Action::Advance(Failed), Failed, false),
            (Quality, Action::Advance(Implement), Implement, true),
            (Governance, Action::Advance(Implement), Implement, true),
            (Review, Action::Approve, Done, false),
            (Review, Action::FollowUp, Implement, false),
            (Review, Action::RequestChanges, Implement, true),
            (Review, Action::Decline { cancel: false }, Todo, true),
            (Review, Action::Decline { cancel: true }, Cancelled, false),
            (Failed, Action::Retry, Todo, true),
        ];
        if a == Action::Cancel && !from.is_terminal() {
            return Some((Cancelled, false));
        }
        edges
            .iter()
            .find(|(f, x, _, _)| *f == from && *x == a)
            .map(|(_, _, to, r)| (*to, *r))
    }

    proptest! {
        #[test]
        fn the_table_is_exactly_the_product_rules(from in state(), a in action()) {
            let got = transition(from, a);
            match allowed(from, a) {
                Some((to, new_round)) => prop_assert_eq!(got, Ok(Transition { to, new_round })),
                None => {
                    let reason = got.expect_err("refused");
                    prop_assert!(!reason.is_empty());
                }
            }
        }

        #[test]
        fn terminal_states_never_move(a in action()) {
            prop_assert!(transition(Done, a).is_err());
            prop_assert!(transition(Cancelled, a).is_err());
        }
    }

    fn goal_set() -> impl Strategy<Value = Vec<GoalFacts>> {
        prop::collection::vec(
            (
                state(),
                -2i32..3,
                prop::option::of((0u8..3, 0u32..6)),
                0u8..2,
            ),
            0..24,
        )
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (status, priority, feature, node))| GoalFacts {
                    id: format!("g{i}"),
                    title: format!("Goal {i}"),
                    number: i as u32 + 1,
                    status,
                    priority,
                    feature: feature.map(|(f, pos)| (format!("f{f}"), format!("Feature {f}"), pos)),
                    node_id: format!("n{node}"),
                })
                .collect()
        })
    }

    /// The rules, checked the slow and obvious way.
    fn naive(goals: &[GoalFacts], g: &GoalFacts) -> bool {
        let key = |x: &GoalFacts| (x.feature.as_ref().map(|f| f.2).unwrap_or(0), x.number);
        let feature_ok = match &g.feature {
            None => true,
            Some((f, _, _)) => goals
                .iter()
                .filter(|o| o.feature.as_ref().is_some_and(|of| &of.0 == f) && key(o) < key(g))
                .all(|o| o.status.releases_next()),
        };
        feature_ok
            && !goals
                .iter()
                .any(|o| o.node_id == g.node_id && o.priority > g.priority && moves(goals, o))
    }

    /// Running, or a todo whose Feature lets it start.
    fn moves(goals: &[GoalFacts], o: &GoalFacts) -> bool {
        o.status.is_running() || (o.status == Todo && feature_free(goals, o))
    }

    fn feature_free(goals: &[GoalFacts], g: &GoalFacts) -> bool {
        let key = |x: &GoalFacts| (x.feature.as_ref().map(|f| f.2).unwrap_or(0), x.number);
        match &g.feature {
            None => true,
            Some((f, _, _)) => goals
                .iter()
                .filter(|o| o.feature.as_ref().is_some_and(|of| &of.0 == f) && key(o) < key(g))
                .all(|o| o.status.releases_next()),
        }
    }

    proptest! {
        #[test]
        fn eligibility_matches_the_rules(goals in goal_set()) {
            let verdicts = eligibility(&goals);
            let todos: Vec<&GoalFacts> = goals.iter().filter(|g| g.status == Todo).collect();
            prop_assert_eq!(verdicts.len(), todos.len());
            for (v, g) in verdicts.iter().zip(todos) {
                prop_assert_eq!(&v.goal_id, &g.id);
                prop_assert_eq!(v.eligible, naive(&goals, g), "{:?}", v);
                prop_assert_eq!(v.eligible, v.reason.is_none());
            }
        }
    }

    #[test]
    fn reasons_name_the_blocker() {
        let g = |n: u32, status, priority, pos: Option<u32>| GoalFacts {
            id: format!("g{n}"),
            title: format!("T{n}"),
            number: n,
            status,
            priority,
            feature: pos.map(|p| ("f".to_string(), "Checkout".to_string(), p)),
            node_id: "n".into(),
        };
        let v = eligibility(&[g(1, Implement, 0, Some(0)), g(2, Todo, 0, Some(1))]);
        assert_eq!(v[0].reason.as_deref(), Some("waiting for #1 “T1” (earlier in Feature “Checkout”) to reach review; it is in implement"));
        let v = eligibility(&[
            g(1, Failed, 0, Some(0)),
            g(2, Review, 0, Some(1)),
            g(3, Todo, 0, Some(2)),
        ]);
        assert!(
            v[0].reason
                .as_deref()
                .unwrap()
                .starts_with("blocked: #1 “T1” failed"),
            "{v:?}"
        );
        let v = eligibility(&[g(1, Todo, 5, None), g(2, Todo, 1, None)]);
        assert!(v[0].eligible);
        assert_eq!(
            v[1].reason.as_deref(),
            Some("waiting for higher-priority work on this node: #1 “T1” (priority 5, todo)")
        );
        // A later Goal of a Feature with a higher priority does not block the earlier one.
        let v = eligibility(&[g(1, Todo, 0, Some(0)), g(2, Todo, 9, Some(1))]);
        assert!(v[0].eligible, "{v:?}");
        assert!(!v[1].eligible);
    }
}
