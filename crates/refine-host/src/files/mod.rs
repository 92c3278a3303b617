//! Confined file access to an app's root directory (SECURITY.md item 6).
//!
//! Every operation goes through a [`Root`]: a directory handle opened once (`cap_std::fs::Dir`),
//! and every path is resolved *relative to that handle*. cap-std resolves beneath the handle
//! (`openat2(RESOLVE_BENEATH)` on Linux, a component-by-component walk elsewhere), so `..`
//! tricks and symbolic links that lead outside the root fail in the kernel, not in a string
//! check that could race with the file system. On top of that:
//! - request paths are validated first ([`RelPath`]): no `..`, absolute paths, NUL, over-long
//!   paths or components;
//! - Refine's data dir (token, database) is refused even when the root contains it: by name
//!   before opening, and by the real path of the opened handle after (so a link inside the
//!   root that points into the data dir does not get through);
//! - mutations never follow a link in the last component: writes refuse links, delete and
//!   rename act on the link itself and only when its target stays inside the root;
//! - the Git directory (`.git`) is read-only: Git owns it;
//! - walks (tree, find, grep) never follow links and skip `.git` and the data dir.

mod ignores;
mod path;
mod search;
mod watch;

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use cap_std::fs::{
    Dir, Metadata, MetadataExt, OpenOptions, OpenOptionsExt, Permissions, PermissionsExt,
};
use refine_model::files::{DirListing, FileContent, FileEntry, FileInfo, FileKind};
use refine_model::ApiError;
use serde_json::json;
use sha2::{Digest, Sha256};

pub use path::{RelPath, MAX_COMPONENT, MAX_PATH};
pub use search::{FileIndex, FindOptions, GrepOptions};
pub use watch::{ChangeKind, Watcher};

pub(crate) use ignores::Ignores;

/// Largest file `read` returns whole; larger files need a byte range.
pub const READ_LIMIT: u64 = 2 * 1024 * 1024;
/// Most entries one directory listing returns.
pub const LIST_LIMIT: usize = 10_000;
/// NUL bytes in this many leading bytes mark a file as binary.
pub const BINARY_SNIFF: usize = 8 * 1024;
/// Prefix of the temp files of atomic writes (the watcher ignores them).
pub const TEMP_PREFIX: &str = ".refine-tmp-";

/// The Git directory's name; walks skip it, mutations refuse it.
const GIT_DIR: &str = ".git";

/// Refine's data dir as seen from a root.
#[derive(Debug, Clone)]
struct DataDir {
    /// Canonical absolute path.
    abs: PathBuf,
    /// Relative to the root when the root contains it.
    rel: Option<RelPath>,
    /// Device and inode, to recognise it in walks.
    id: Option<(u64, u64)>,
}

/// An app's root directory, opened once; all access goes through it.
pub struct Root {
    dir: Dir,
    abs: PathBuf,
    data: Option<DataDir>,
}

/// The content version of a file: SHA-256 of its bytes, hex.
pub fn etag_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// NUL in the first 8 KiB or invalid UTF-8.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(BINARY_SNIFF)].contains(&0) || std::str::from_utf8(bytes).is_err()
}

fn kind_of(ft: cap_std::fs::FileType) -> FileKind {
    if ft.is_symlink() {
        FileKind::Symlink
    } else if ft.is_dir() {
        FileKind::Dir
    } else if ft.is_file() {
        FileKind::File
    } else {
        FileKind::Other
    }
}

fn modified_ms(meta: &Metadata) -> Option<f64> {
    let secs = meta.mtime();
    let nanos = meta.mtime_nsec();
    Some(secs as f64 * 1000.0 + (nanos / 1_000_000) as f64)
}

/// Map an I/O error to the wire error, naming only the relative path.
pub(crate) fn io_error(e: std::io::Error, rel: &RelPath) -> ApiError {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => ApiError::not_found(format!("{rel} does not exist")),
        K::PermissionDenied => ApiError::forbidden(format!(
            "{rel} leads outside the app root or is not accessible"
        )),
        K::AlreadyExists => ApiError::conflict(format!("{rel} already exists")),
        K::DirectoryNotEmpty => ApiError::conflict(format!(
            "{rel} is a directory that is not empty; send `recursive: true` to delete it with its content"
        )),
        K::NotADirectory => ApiError::invalid(format!("{rel} (or a parent of it) is not a directory")),
        K::IsADirectory => ApiError::invalid(format!("{rel} is a directory")),
        K::StorageFull | K::QuotaExceeded => ApiError::new(
            refine_model::ErrorCode::InsufficientStorage,
            "the disk is full; nothing was written",
        ),
        K::ReadOnlyFilesystem => ApiError::forbidden(format!("{rel} is on a read-only file system")),
        _ if e.raw_os_error() == Some(40) => ApiError::forbidden(format!(
            "{rel} goes through too many symbolic links"
        )),
        _ => {
            tracing::error!(path = %rel, error = %e, "file system error");
            ApiError::internal("file system error")
        }
    }
}

fn next_temp_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{TEMP_PREFIX}{}-{n}-{t:x}", std::process::id())
}

/// The path an open handle really refers to (Linux: `/proc/self/fd`).
#[cfg(target_os = "linux")]
fn real_path(handle: &impl AsRawFd) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/self/fd/{}", handle.as_raw_fd())).ok()
}

#[cfg(not(target_os = "linux"))]
fn real_path(_handle: &impl AsRawFd) -> Option<PathBuf> {
    None
}

impl Root {
    /// Open the root directory of an app. `data_dir` is Refine's data dir, never served.
    pub fn open(root: &Path, data_dir: &Path) -> Result<Root, ApiError> {
        let abs = root.canonicalize().map_err(|_| {
            ApiError::precondition(format!(
                "the app's folder {} is gone; remove the app or restore the folder",
                root.display()
            ))
        })?;
        let dir = Dir::open_ambient_dir(&abs, cap_std::ambient_authority()).map_err(|_| {
            ApiError::precondition(format!(
                "the app's folder {} cannot be opened",
                abs.display()
            ))
        })?;
        let data = data_dir.canonicalize().ok().map(|d| {
            let rel = d.strip_prefix(&abs).ok().map(|r| {
                RelPath::from_parts(
                    r.components()
                        .map(|c| c.as_os_str().to_string_lossy().to_string())
                        .collect(),
                )
            });
            let id = std::fs::metadata(&d).ok().map(|m| {
                (
                    std::os::unix::fs::MetadataExt::dev(&m),
                    std::os::unix::fs::MetadataExt::ino(&m),
                )
            });
            DataDir { abs: d, rel, id }
        });
        Ok(Root { dir, abs, data })
    }

    /// The canonical absolute path of the root.
    pub fn abs(&self) -> &Path {
        &self.abs
    }

    /// Refuse a request path that names the data dir or something in it.
    fn check_name(&self, rel: &RelPath) -> Result<(), ApiError> {
        if let Some(DataDir { rel: Some(d), .. }) = &self.data {
            if rel.starts_with(d) {
                return Err(private());
            }
        }
        Ok(())
    }

    /// Whether the entry `name` in directory `dir` is the data dir or inside it (the walk's
    /// allocation-free form of [`Root::check_name`]).
    fn is_data_child(&self, dir: &RelPath, name: &str) -> bool {
        let Some(DataDir { rel: Some(d), .. }) = &self.data else {
            return false;
        };
        let (dp, cp) = (d.parts(), dir.parts());
        if cp.len() >= dp.len() {
            return cp[..dp.len()] == dp[..];
        }
        cp.len() + 1 == dp.len() && cp[..] == dp[..cp.len()] && dp[cp.len()] == name
    }

    /// After opening: refuse a handle whose real location is outside the root or in the data
    /// dir (cap-std already refuses escapes; this is the data-dir rule plus a second guard).
    fn check_opened(&self, handle: &impl AsRawFd, rel: &RelPath) -> Result<(), ApiError> {
        let real = match real_path(handle) {
            Some(p) => p,
            // Without /proc: resolve by name (weaker: races with a concurrent rename).
            None => match self.abs.join(rel.to_path()).canonicalize() {
                Ok(p) => p,
                Err(_) => return Ok(()),
            },
        };
        if !real.starts_with(&self.abs) {
            return Err(ApiError::forbidden(format!(
                "{rel} leads outside the app root"
            )));
        }
        if let Some(d) = &self.data {
            if d.abs.starts_with(&self.abs) && real.starts_with(&d.abs) {
                return Err(private());
            }
        }
        Ok(())
    }

    fn is_data_dir(&self, meta: &Metadata) -> bool {
        self.data
            .as_ref()
            .and_then(|d| d.id)
            .is_some_and(|id| id == (meta.dev(), meta.ino()))
    }

    /// Checks for a path a mutation touches: not the root, not in `.git`, not the data dir,
    /// and not a directory that contains the data dir.
    fn check_mutable(&self, rel: &RelPath) -> Result<(), ApiError> {
        if rel.is_root() {
            return Err(ApiError::invalid("the app root itself cannot be changed"));
        }
        if rel.parts().iter().any(|p| p == GIT_DIR) {
            return Err(ApiError::forbidden(
                "the .git directory belongs to Git; change it with git commands",
            ));
        }
        self.check_name(rel)?;
        if let Some(DataDir { rel: Some(d), .. }) = &self.data {
            if d.starts_with(rel) {
                return Err(private());
            }
        }
        Ok(())
    }

    /// Open the directory `rel` (links inside the root are followed, escapes fail).
    fn open_dir(&self, rel: &RelPath) -> Result<Dir, ApiError> {
        self.check_name(rel)?;
        let dir = if rel.is_root() {
            self.dir.try_clone()
        } else {
            self.dir.open_dir(rel.to_path())
        }
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotADirectory => {
                // Say "not a directory" only about files Refine may show.
                match self.dir.open(rel.to_path()) {
                    Ok(f) => match self.check_opened(&f, rel) {
                        Err(e) => e,
                        Ok(()) => ApiError::invalid(format!("{rel} is not a directory")),
                    },
                    Err(e) => io_error(e, rel),
                }
            }
            _ => io_error(e, rel),
        })?;
        self.check_opened(&dir, rel)?;
        Ok(dir)
    }

    /// The parent directory of `rel` and `rel`'s name, for mutations.
    fn parent_of<'a>(&self, rel: &'a RelPath) -> Result<(Dir, &'a str), ApiError> {
        let name = rel
            .name()
            .ok_or_else(|| ApiError::invalid("the app root itself cannot be changed"))?;
        let parent = self.open_dir(&rel.parent()).map_err(|e| {
            if e.code == refine_model::ErrorCode::NotFound {
                ApiError::not_found(format!(
                    "the parent directory of {rel} does not exist; create it first"
                ))
            } else {
                e
            }
        })?;
        Ok((parent, name))
    }

    /// A link's target must stay inside the root (dangling links inside are fine).
    fn check_link_target(&self, rel: &RelPath) -> Result<(), ApiError> {
        match self.dir.metadata(rel.to_path()) {
            Ok(_) => {
                // Resolves beneath the root; also refuse links into the data dir.
                if let Ok(f) = self.dir.open(rel.to_path()) {
                    self.check_opened(&f, rel)?;
                } else if let Ok(d) = self.dir.open_dir(rel.to_path()) {
                    self.check_opened(&d, rel)?;
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(e, rel)),
        }
    }

    /// One directory, gitignore-aware: ignored entries only with `show_ignored`. Directories
    /// first, then by name. `.git` and the data dir are never listed.
    pub fn list(&self, rel: &RelPath, show_ignored: bool) -> Result<DirListing, ApiError> {
        let dir = self.open_dir(rel)?;
        let (ignores, dir_ignored) = Ignores::for_dir(&self.dir, rel.parts());
        let mut entries = Vec::new();
        let mut truncated = false;
        for entry in dir.entries().map_err(|e| io_error(e, rel))? {
            let Ok(entry) = entry else { continue };
            let Ok(name) = entry.file_name().into_string() else {
                continue; // not UTF-8: cannot be named on the wire
            };
            if name == GIT_DIR || name.starts_with(TEMP_PREFIX) {
                continue;
            }
            let Ok(ft) = entry.file_type() else { continue };
            let kind = kind_of(ft);
            let meta = entry.metadata().ok();
            if kind == FileKind::Dir && meta.as_ref().is_some_and(|m| self.is_data_dir(m)) {
                continue;
            }
            let path = rel.join(&name);
            if self.check_name(&path).is_err() {
                continue;
            }
            let ignored = dir_ignored || ignores.is_ignored(path.parts(), kind == FileKind::Dir);
            if ignored && !show_ignored {
                continue;
            }
            if entries.len() == LIST_LIMIT {
                truncated = true;
                break;
            }
            entries.push(FileEntry {
                name,
                path: path.as_string(),
                kind,
                size: match (&meta, kind) {
                    (Some(m), FileKind::File) => m.len() as f64,
                    _ => 0.0,
                },
                modified_ms: meta.as_ref().and_then(modified_ms),
                ignored,
            });
        }
        entries.sort_by(|a, b| {
            (a.kind != FileKind::Dir)
                .cmp(&(b.kind != FileKind::Dir))
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(DirListing {
            path: rel.as_string(),
            entries,
            truncated,
        })
    }

    /// Open a regular file for reading (links inside the root are followed).
    fn open_file(&self, rel: &RelPath) -> Result<(std::fs::File, Metadata), ApiError> {
        if rel.is_root() {
            return Err(ApiError::invalid("the app root is a directory, not a file"));
        }
        self.check_name(rel)?;
        let file = self.dir.open(rel.to_path()).map_err(|e| io_error(e, rel))?;
        self.check_opened(&file, rel)?;
        let meta = file.metadata().map_err(|e| io_error(e, rel))?;
        if meta.is_dir() {
            return Err(ApiError::invalid(format!(
                "{rel} is a directory; list it instead"
            )));
        }
        if !meta.is_file() {
            return Err(ApiError::invalid(format!("{rel} is not a regular file")));
        }
        Ok((file.into_std(), meta))
    }

    /// A file's text (whole, up to [`READ_LIMIT`], or a byte range of it) with its etag;
    /// binary files come back with `binary: true` and no content.
    pub fn read(
        &self,
        rel: &RelPath,
        offset: Option<u64>,
        length: Option<u64>,
    ) -> Result<FileContent, ApiError> {
        let (mut file, meta) = self.open_file(rel)?;
        let size = meta.len();
        let ranged = offset.is_some() || length.is_some();
        if !ranged && size > READ_LIMIT {
            return Err(too_large(rel, size));
        }
        if ranged {
            let etag = hash_reader(&mut file).map_err(|e| io_error(e, rel))?;
            let mut start = offset.unwrap_or(0);
            let len = length.unwrap_or(READ_LIMIT);
            if len > READ_LIMIT {
                return Err(too_large(rel, len));
            }
            if start > size {
                return Err(ApiError::invalid(format!(
                    "offset {start} is past the end of {} ({size} bytes)",
                    rel.as_string()
                )));
            }
            file.seek(SeekFrom::Start(start))
                .map_err(|e| io_error(e, rel))?;
            let mut buf = Vec::new();
            (&mut file)
                .take(len)
                .read_to_end(&mut buf)
                .map_err(|e| io_error(e, rel))?;
            // Cut partial UTF-8 sequences at both ends of the range.
            let lead = buf
                .iter()
                .take(3)
                .take_while(|b| (**b & 0xC0) == 0x80)
                .count();
            if start > 0 && lead > 0 {
                buf.drain(..lead);
                start += lead as u64;
            }
            if let Err(e) = std::str::from_utf8(&buf) {
                if e.error_len().is_none() {
                    buf.truncate(e.valid_up_to());
                }
            }
            let binary = is_binary(&buf);
            return Ok(FileContent {
                path: rel.as_string(),
                size: size as f64,
                modified_ms: modified_ms(&meta),
                etag,
                binary,
                content: (!binary).then(|| String::from_utf8(buf).unwrap_or_default()),
                offset: start as f64,
            });
        }
        let mut buf = Vec::with_capacity(size as usize);
        (&mut file)
            .take(READ_LIMIT + 1)
            .read_to_end(&mut buf)
            .map_err(|e| io_error(e, rel))?;
        if buf.len() as u64 > READ_LIMIT {
            return Err(too_large(rel, buf.len() as u64));
        }
        let etag = etag_of(&buf);
        let binary = is_binary(&buf);
        Ok(FileContent {
            path: rel.as_string(),
            size: buf.len() as f64,
            modified_ms: modified_ms(&meta),
            etag,
            binary,
            content: (!binary).then(|| String::from_utf8(buf).unwrap_or_default()),
            offset: 0.0,
        })
    }

    /// Replace an existing file's content atomically (temp file in the same directory, then
    /// rename), keeping its mode. With `etag`, the file must still have that version, else a
    /// `stale` error carrying the current etag and nothing is written.
    pub fn write(
        &self,
        rel: &RelPath,
        content: &[u8],
        etag: Option<&str>,
    ) -> Result<FileInfo, ApiError> {
        self.check_mutable(rel)?;
        let (parent, name) = self.parent_of(rel)?;
        let meta = parent.symlink_metadata(name).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                ApiError::not_found(format!("{rel} does not exist; create it with files.create"))
            }
            _ => io_error(e, rel),
        })?;
        if meta.file_type().is_symlink() {
            return Err(ApiError::forbidden(format!(
                "{rel} is a symbolic link; Refine does not write through links"
            )));
        }
        if !meta.is_file() {
            return Err(ApiError::invalid(format!("{rel} is not a regular file")));
        }
        if let Some(expected) = etag {
            let mut current = parent.open(name).map_err(|e| io_error(e, rel))?.into_std();
            let current = hash_reader(&mut current).map_err(|e| io_error(e, rel))?;
            if current != expected {
                return Err(ApiError::stale(format!(
                    "{rel} changed since it was read; nothing was written. Read it again, reapply your edit and send the new etag"
                ))
                .with_details(json!({ "path": rel.as_string(), "etag": current })));
            }
        }
        let mode = meta.permissions().mode() & 0o7777;
        atomic_write(&parent, name, content, mode).map_err(|e| io_error(e, rel))?;
        self.info_in(&parent, name, rel)
    }

    fn info_in(&self, parent: &Dir, name: &str, rel: &RelPath) -> Result<FileInfo, ApiError> {
        let meta = parent
            .symlink_metadata(name)
            .map_err(|e| io_error(e, rel))?;
        let kind = kind_of(meta.file_type());
        let etag = if kind == FileKind::File {
            let mut f = parent.open(name).map_err(|e| io_error(e, rel))?.into_std();
            Some(hash_reader(&mut f).map_err(|e| io_error(e, rel))?)
        } else {
            None
        };
        Ok(FileInfo {
            path: rel.as_string(),
            kind,
            size: if kind == FileKind::File {
                meta.len() as f64
            } else {
                0.0
            },
            modified_ms: modified_ms(&meta),
            etag,
        })
    }

    /// Create a new file (with `content`) or directory; the parent must exist; an existing
    /// entry of any kind is a conflict.
    pub fn create(
        &self,
        rel: &RelPath,
        kind: FileKind,
        content: &[u8],
    ) -> Result<FileInfo, ApiError> {
        self.check_mutable(rel)?;
        let (parent, name) = self.parent_of(rel)?;
        match kind {
            FileKind::Dir => {
                if !content.is_empty() {
                    return Err(ApiError::invalid("a directory has no content"));
                }
                parent.create_dir(name).map_err(|e| io_error(e, rel))?;
            }
            FileKind::File => {
                let mut f = parent
                    .open_with(
                        name,
                        OpenOptions::new().write(true).create_new(true).mode(0o666),
                    )
                    .map_err(|e| io_error(e, rel))?;
                f.write_all(content)
                    .and_then(|_| f.sync_all())
                    .map_err(|e| io_error(e, rel))?;
            }
            _ => return Err(ApiError::invalid("kind must be file or dir")),
        }
        sync_dir(&parent);
        self.info_in(&parent, name, rel)
    }

    /// Rename (move) an entry inside the root; an existing target is a conflict. A link is
    /// renamed itself, and only when its target stays inside the root.
    pub fn rename(&self, from: &RelPath, to: &RelPath) -> Result<FileInfo, ApiError> {
        self.check_mutable(from)?;
        self.check_mutable(to)?;
        if to.starts_with(from) {
            return Err(ApiError::invalid(format!(
                "cannot move {from} into itself ({to})"
            )));
        }
        let (src, src_name) = self.parent_of(from)?;
        let meta = src
            .symlink_metadata(src_name)
            .map_err(|e| io_error(e, from))?;
        if meta.file_type().is_symlink() {
            self.check_link_target(from)?;
        }
        let (dst, dst_name) = self.parent_of(to)?;
        match dst.symlink_metadata(dst_name) {
            Ok(_) => return Err(ApiError::conflict(format!("{to} already exists"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(e, to)),
        }
        src.rename(src_name, &dst, dst_name)
            .map_err(|e| io_error(e, from))?;
        sync_dir(&src);
        sync_dir(&dst);
        self.info_in(&dst, dst_name, to)
    }

    /// Delete a file, a link (itself, when its target stays inside the root), an empty
    /// directory, or with `recursive` a directory and its content (links inside are removed,
    /// never followed). Returns what was deleted.
    pub fn delete(&self, rel: &RelPath, recursive: bool) -> Result<FileKind, ApiError> {
        self.check_mutable(rel)?;
        let (parent, name) = self.parent_of(rel)?;
        let meta = parent
            .symlink_metadata(name)
            .map_err(|e| io_error(e, rel))?;
        let kind = kind_of(meta.file_type());
        match kind {
            FileKind::Symlink => {
                self.check_link_target(rel)?;
                parent.remove_file(name)
            }
            FileKind::Dir if recursive => parent.remove_dir_all(name),
            FileKind::Dir => parent.remove_dir(name),
            _ => parent.remove_file(name),
        }
        .map_err(|e| io_error(e, rel))?;
        sync_dir(&parent);
        Ok(kind)
    }
}

fn private() -> ApiError {
    ApiError::forbidden("that path is inside Refine's data directory, which is never served")
}

fn too_large(rel: &RelPath, size: u64) -> ApiError {
    ApiError::too_large(format!(
        "{rel} is {size} bytes, more than the {READ_LIMIT}-byte read limit; ask for a byte range (offset, length)"
    ))
    .with_details(json!({ "size": size, "limit": READ_LIMIT }))
}

fn hash_reader(r: &mut impl Read) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn sync_dir(dir: &Dir) {
    if let Ok(d) = dir.try_clone() {
        let _ = d.into_std_file().sync_all();
    }
}

/// Write `content` to a temp file beside `name`, fsync, give it `mode`, rename over `name`.
fn atomic_write(dir: &Dir, name: &str, content: &[u8], mode: u32) -> std::io::Result<()> {
    let mut attempts = 0;
    let (tmp, mut file) = loop {
        let tmp = next_temp_name();
        match dir.open_with(
            &tmp,
            OpenOptions::new().write(true).create_new(true).mode(0o600),
        ) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < 8 => {
                attempts += 1;
            }
            Err(e) => return Err(e),
        }
    };
    let result = file
        .write_all(content)
        .and_then(|_| file.set_permissions(Permissions::from_mode(mode)))
        .and_then(|_| file.sync_all())
        .and_then(|_| dir.rename(&tmp, dir, name));
    if result.is_err() {
        let _ = dir.remove_file(&tmp);
    }
    result?;
    sync_dir(dir);
    Ok(())
}

#[cfg(test)]
mod tests;
