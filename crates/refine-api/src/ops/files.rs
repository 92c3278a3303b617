//! The app's files, confined to its root.

use refine_core::files::{
    CreateInput, DeleteInput, Deleted, FindInput, GrepInput, ReadInput, RenameInput, TreeInput,
    WriteInput,
};
use refine_model::files::{DirListing, FileContent, FileInfo, FindResult, GrepResult};

use crate::registry::{Method::*, Op, OpDef};

pub const TREE: Op<TreeInput, DirListing> = Op::query(
    "files.tree",
    Get,
    "/api/v1/files/tree",
    "One directory of the app (default: its root), gitignore-aware (`showIgnored` lists ignored entries too): directories first, with kind, size and modification time.",
    true,
);

pub const READ: Op<ReadInput, FileContent> = Op::query(
    "files.read",
    Get,
    "/api/v1/files/content",
    "A file's text and etag (whole files up to 2 MiB, else 413: ask for a byte range with offset/length); binary files answer `binary: true` without content.",
    true,
);

pub const WRITE: Op<WriteInput, FileInfo> = Op::mutation(
    "files.write",
    Put,
    "/api/v1/files/content",
    "Replace an existing file's text atomically, keeping its mode. Send the etag you read: if the file changed since, 412 `stale` with the current etag and nothing is written.",
    false,
);

pub const CREATE: Op<CreateInput, FileInfo> = Op::mutation(
    "files.create",
    Post,
    "/api/v1/files",
    "Create a file (with optional text) or a directory; the parent must exist; an existing entry is a 409.",
    false,
);

pub const RENAME: Op<RenameInput, FileInfo> = Op::mutation(
    "files.rename",
    Post,
    "/api/v1/files/rename",
    "Rename or move a file or directory inside the app; an existing target is a 409.",
    false,
);

pub const DELETE: Op<DeleteInput, Deleted> = Op::mutation(
    "files.delete",
    Post,
    "/api/v1/files/delete",
    "Delete a file, a link or an empty directory; a non-empty directory needs `recursive: true`.",
    false,
);

pub const FIND: Op<FindInput, FindResult> = Op::query(
    "files.find",
    Get,
    "/api/v1/files/find",
    "Fuzzy search over the app's file paths (gitignore-aware), best first, with matched character positions.",
    true,
);

pub const GREP: Op<GrepInput, GrepResult> = Op::query(
    "files.grep",
    Get,
    "/api/v1/files/grep",
    "Regex search over file contents (ripgrep's engine; gitignore-aware; binary files skipped): matching lines with line numbers; an invalid pattern is a 400.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        TREE.handle(|core, ctx, i| async move { core.files_tree(&ctx, i).await }),
        READ.handle(|core, ctx, i| async move { core.files_read(&ctx, i).await }),
        WRITE.handle(|core, ctx, i| async move { core.files_write(&ctx, i).await }),
        CREATE.handle(|core, ctx, i| async move { core.files_create(&ctx, i).await }),
        RENAME.handle(|core, ctx, i| async move { core.files_rename(&ctx, i).await }),
        DELETE.handle(|core, ctx, i| async move { core.files_delete(&ctx, i).await }),
        FIND.handle(|core, ctx, i| async move { core.files_find(&ctx, i).await }),
        GREP.handle(|core, ctx, i| async move { core.files_grep(&ctx, i).await }),
    ]
}
