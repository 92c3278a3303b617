use refine_core::governance::{
    AddGovernanceRuleInput, GovernanceInput, RemoveGovernanceRuleInput,
    ReorderGovernanceRulesInput, UpdateGovernanceInput, UpdateGovernanceRuleInput,
};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    vec![
        d(
            "governance.get",
            Get,
            "/api/v1/governance",
            "The app's product statement, constitution and rules (ids R1, R2, …), with the collection's revision.",
            true,
        )
        .query(|core, ctx, i: GovernanceInput| async move { core.governance(&ctx, i).await }),
        d(
            "governance.update",
            Patch,
            "/api/v1/governance",
            "Edit the product statement and/or the constitution; send the revision you read (stale → 409).",
            false,
        )
        .mutation(m, |core, ctx, i: UpdateGovernanceInput| async move {
            core.update_governance(&ctx, i).await
        }),
        d(
            "governance.rules.add",
            Post,
            "/api/v1/governance/rules",
            "Add a governance rule at the end (it gets the next unused id); revision-fenced.",
            false,
        )
        .mutation(m, |core, ctx, i: AddGovernanceRuleInput| async move {
            core.add_governance_rule(&ctx, i).await
        }),
        d(
            "governance.rules.update",
            Patch,
            "/api/v1/governance/rules/{id}",
            "Edit a governance rule's title or body; revision-fenced.",
            false,
        )
        .mutation(m, |core, ctx, i: UpdateGovernanceRuleInput| async move {
            core.update_governance_rule(&ctx, i).await
        }),
        d(
            "governance.rules.remove",
            Delete,
            "/api/v1/governance/rules/{id}",
            "Remove a governance rule (its id is never reused); revision-fenced.",
            false,
        )
        .mutation(m, |core, ctx, i: RemoveGovernanceRuleInput| async move {
            core.remove_governance_rule(&ctx, i).await
        }),
        d(
            "governance.rules.reorder",
            Post,
            "/api/v1/governance/rules/order",
            "Set the order of the governance rules (every id once); revision-fenced.",
            false,
        )
        .mutation(m, |core, ctx, i: ReorderGovernanceRulesInput| async move {
            core.reorder_governance_rules(&ctx, i).await
        }),
    ]
}
