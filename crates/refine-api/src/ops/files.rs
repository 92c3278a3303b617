use refine_core::files::{
    CreateInput, DeleteInput, FindInput, GrepInput, ReadInput, RenameInput, TreeInput, WriteInput,
};

use crate::registry::{Decl, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        Decl {
            name: "files.tree",
            method: Method::Get,
            path: "/api/v1/files/tree",
            doc: "One directory of the app (default: its root), gitignore-aware (`showIgnored` lists ignored entries too): directories first, with kind, size and modification time.",
            mcp: true,
        }
        .query(|core, ctx, i: TreeInput| async move { core.files_tree(&ctx, i).await }),
        Decl {
            name: "files.read",
            method: Method::Get,
            path: "/api/v1/files/content",
            doc: "A file's text and etag (whole files up to 2 MiB, else 413: ask for a byte range with offset/length); binary files answer `binary: true` without content.",
            mcp: true,
        }
        .query(|core, ctx, i: ReadInput| async move { core.files_read(&ctx, i).await }),
        Decl {
            name: "files.write",
            method: Method::Put,
            path: "/api/v1/files/content",
            doc: "Replace an existing file's text atomically, keeping its mode. Send the etag you read: if the file changed since, 412 `stale` with the current etag and nothing is written.",
            mcp: false,
        }
        .mutation(OpKind::Mutation, |core, ctx, i: WriteInput| async move { core.files_write(&ctx, i).await }),
        Decl {
            name: "files.create",
            method: Method::Post,
            path: "/api/v1/files",
            doc: "Create a file (with optional text) or a directory; the parent must exist; an existing entry is a 409.",
            mcp: false,
        }
        .mutation(OpKind::Mutation, |core, ctx, i: CreateInput| async move { core.files_create(&ctx, i).await }),
        Decl {
            name: "files.rename",
            method: Method::Post,
            path: "/api/v1/files/rename",
            doc: "Rename or move a file or directory inside the app; an existing target is a 409.",
            mcp: false,
        }
        .mutation(OpKind::Mutation, |core, ctx, i: RenameInput| async move { core.files_rename(&ctx, i).await }),
        Decl {
            name: "files.delete",
            method: Method::Post,
            path: "/api/v1/files/delete",
            doc: "Delete a file, a link or an empty directory; a non-empty directory needs `recursive: true`.",
            mcp: false,
        }
        .mutation(OpKind::Mutation, |core, ctx, i: DeleteInput| async move { core.files_delete(&ctx, i).await }),
        Decl {
            name: "files.find",
            method: Method::Get,
            path: "/api/v1/files/find",
            doc: "Fuzzy search over the app's file paths (gitignore-aware), best first, with matched character positions.",
            mcp: true,
        }
        .query(|core, ctx, i: FindInput| async move { core.files_find(&ctx, i).await }),
        Decl {
            name: "files.grep",
            method: Method::Get,
            path: "/api/v1/files/grep",
            doc: "Regex search over file contents (ripgrep's engine; gitignore-aware; binary files skipped): matching lines with line numbers; an invalid pattern is a 400.",
            mcp: true,
        }
        .query(|core, ctx, i: GrepInput| async move { core.files_grep(&ctx, i).await }),
    ]
}
