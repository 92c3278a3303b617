//! Governance: product statement, constitution and rules.

use refine_core::governance::{
    AddGovernanceRuleInput, GovernanceInput, RemoveGovernanceRuleInput,
    ReorderGovernanceRulesInput, UpdateGovernanceInput, UpdateGovernanceRuleInput,
};
use refine_model::governance::Governance;

use crate::registry::{Method::*, Op, OpDef};

pub const GET: Op<GovernanceInput, Governance> = Op::query(
    "governance.get",
    Get,
    "/api/v1/governance",
    "The app's product statement, constitution and rules (ids R1, R2, …), with the collection's revision.",
    true,
);

pub const UPDATE: Op<UpdateGovernanceInput, Governance> = Op::mutation(
    "governance.update",
    Patch,
    "/api/v1/governance",
    "Edit the product statement and/or the constitution; send the revision you read (stale → 409).",
    false,
);

pub const RULES_ADD: Op<AddGovernanceRuleInput, Governance> = Op::mutation(
    "governance.rules.add",
    Post,
    "/api/v1/governance/rules",
    "Add a governance rule at the end (it gets the next unused id); revision-fenced.",
    false,
);

pub const RULES_UPDATE: Op<UpdateGovernanceRuleInput, Governance> = Op::mutation(
    "governance.rules.update",
    Patch,
    "/api/v1/governance/rules/{id}",
    "Edit a governance rule's title or body; revision-fenced.",
    false,
);

pub const RULES_DELETE: Op<RemoveGovernanceRuleInput, Governance> = Op::mutation(
    "governance.rules.delete",
    Delete,
    "/api/v1/governance/rules/{id}",
    "Remove a governance rule (its id is never reused); revision-fenced.",
    false,
);

pub const RULES_REORDER: Op<ReorderGovernanceRulesInput, Governance> = Op::mutation(
    "governance.rules.reorder",
    Post,
    "/api/v1/governance/rules/order",
    "Set the order of the governance rules (every id once); revision-fenced.",
    false,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        GET.handle(|core, ctx, i| async move { core.governance_get(&ctx, i).await }),
        UPDATE.handle(|core, ctx, i| async move { core.governance_update(&ctx, i).await }),
        RULES_ADD.handle(|core, ctx, i| async move { core.governance_rules_add(&ctx, i).await }),
        RULES_UPDATE
            .handle(|core, ctx, i| async move { core.update_governance_rule(&ctx, i).await }),
        RULES_DELETE
            .handle(|core, ctx, i| async move { core.remove_governance_rule(&ctx, i).await }),
        RULES_REORDER
            .handle(|core, ctx, i| async move { core.reorder_governance_rules(&ctx, i).await }),
    ]
}
