//! The operation registry: every operation of Refine is declared once here (name, kind, HTTP
//! method + path, input/output types, doc line, MCP flag). The HTTP routes, the Tauri `rpc`
//! dispatch, `refine call`, the MCP tools, the TypeScript client, the OpenAPI document and the
//! `system.operations` listing are all derived from this one table.

pub mod bindings;
pub mod events;
pub mod openapi;
pub mod ops;
mod registry;

pub use registry::{
    dispatch, find, registry, Effect, Method, Op, OpDef, OpKind, OperationInfo, Reply,
};

#[cfg(test)]
mod tests {
    /// The README's table of operations names every operation (`goals.get`, or `.get` in a row
    /// that names another `goals.` operation) and no operation that does not exist.
    #[test]
    fn the_readme_lists_every_operation() {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("### Operations (API v1")
            .expect("the README has its operations section");
        let end = start
            + readme[start..]
                .find("\n## ")
                .unwrap_or(readme.len() - start);
        let cells: Vec<&str> = readme[start..end]
            .lines()
            .filter(|l| l.starts_with("| `"))
            .filter_map(|l| l.split('|').nth(1))
            .collect();
        let listed = |name: &str| {
            let (prefix, last) = name.rsplit_once('.').unwrap();
            cells.iter().any(|c| {
                c.contains(&format!("`{name}`"))
                    || (c.contains(&format!("`{prefix}.")) && c.contains(&format!("`.{last}`")))
            })
        };
        let missing: Vec<&str> = crate::registry()
            .iter()
            .map(|o| o.name)
            .filter(|n| !listed(n))
            .collect();
        assert!(
            missing.is_empty(),
            "README's operations table lacks {missing:?}"
        );
        for c in &cells {
            for full in c.split('`').skip(1).step_by(2) {
                if full.contains('.') && !full.starts_with('.') && !full.contains('/') {
                    assert!(
                        crate::find(full).is_some(),
                        "the README names {full:?}, which is no operation"
                    );
                }
            }
        }
    }
}
