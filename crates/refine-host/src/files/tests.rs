//! Confinement edge cases and the behaviour of each file operation.

use std::os::unix::fs::{symlink, PermissionsExt as _};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use refine_model::files::FileKind;
use refine_model::ErrorCode;

use super::*;

struct Fixture {
    _t: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
    data: PathBuf,
}

/// `<t>/repo` (the root), `<t>/outside/secret.txt` (a sentinel), `<t>/data` (a data dir).
fn fixture() -> Fixture {
    let t = tempfile::tempdir().unwrap();
    let base = t.path().canonicalize().unwrap();
    let root = base.join("repo");
    let outside = base.join("outside");
    let data = base.join("data");
    for d in [&root, &outside, &data] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(outside.join("secret.txt"), "sentinel").unwrap();
    std::fs::write(root.join("hello.txt"), "hello\n").unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/main.rs"), "fn main() {}\n").unwrap();
    Fixture {
        _t: t,
        root,
        outside,
        data,
    }
}

fn open(f: &Fixture) -> Root {
    Root::open(&f.root, &f.data).unwrap()
}

fn p(s: &str) -> RelPath {
    RelPath::parse(s).unwrap()
}

fn sentinel_intact(f: &Fixture) {
    assert_eq!(
        std::fs::read_to_string(f.outside.join("secret.txt")).unwrap(),
        "sentinel"
    );
    assert_eq!(std::fs::read_dir(&f.outside).unwrap().count(), 1);
}

#[test]
fn links_leading_outside_fail_for_every_operation() {
    let f = fixture();
    symlink(f.outside.join("secret.txt"), f.root.join("leak")).unwrap();
    symlink(&f.outside, f.root.join("outdir")).unwrap();
    symlink("../outside/secret.txt", f.root.join("relleak")).unwrap();
    let r = open(&f);
    for path in ["leak", "relleak", "outdir/secret.txt"] {
        let e = r.read(&p(path), None, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden, "read {path}: {e:?}");
        let e = r.write(&p(path), b"pwned", None).unwrap_err();
        assert!(
            matches!(e.code, ErrorCode::Forbidden),
            "write {path}: {e:?}"
        );
        let e = r.delete(&p(path), false).unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden, "delete {path}: {e:?}");
        let e = r.rename(&p(path), &p("moved")).unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden, "rename {path}: {e:?}");
    }
    for path in ["outdir", "outdir/"] {
        let e = r.list(&p(path), true).unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden, "list {path}: {e:?}");
    }
    let e = r
        .create(&p("outdir/new.txt"), FileKind::File, b"x")
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    let e = r
        .rename(&p("hello.txt"), &p("outdir/hello.txt"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    let e = r.delete(&p("outdir"), true).unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    sentinel_intact(&f);
    assert!(
        f.root.join("leak").exists(),
        "the link itself is left alone"
    );
    // Walks list links as links and never enter them.
    let listing = r.list(&RelPath::root(), true).unwrap();
    let leak = listing.entries.iter().find(|e| e.name == "outdir").unwrap();
    assert_eq!(leak.kind, FileKind::Symlink);
    let found = r
        .grep(
            "sentinel",
            &RelPath::root(),
            &GrepOptions {
                case_insensitive: false,
                fixed_strings: true,
                limit: 10,
                show_ignored: true,
            },
        )
        .unwrap();
    assert!(found.matches.is_empty(), "{found:?}");
}

#[test]
fn links_inside_the_root_work_and_are_changed_as_links() {
    let f = fixture();
    symlink("src/main.rs", f.root.join("alias.rs")).unwrap();
    symlink("src", f.root.join("code")).unwrap();
    let r = open(&f);
    assert_eq!(
        r.read(&p("alias.rs"), None, None).unwrap().content.unwrap(),
        "fn main() {}\n"
    );
    assert_eq!(
        r.list(&p("code"), false).unwrap().entries[0].name,
        "main.rs"
    );
    let e = r.write(&p("alias.rs"), b"x", None).unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden, "no writes through links");
    r.rename(&p("alias.rs"), &p("alias2.rs")).unwrap();
    assert_eq!(r.delete(&p("alias2.rs"), false).unwrap(), FileKind::Symlink);
    assert_eq!(r.delete(&p("code"), true).unwrap(), FileKind::Symlink);
    assert!(f.root.join("src/main.rs").exists(), "targets untouched");
}

#[test]
fn the_data_dir_is_never_served_even_inside_the_root() {
    let f = fixture();
    let data = f.root.join("state/refine");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("token"), "secret-token").unwrap();
    symlink("state/refine", f.root.join("sneaky")).unwrap();
    symlink("state/refine/token", f.root.join("tok")).unwrap();
    let r = Root::open(&f.root, &data).unwrap();
    for path in [
        "state/refine/token",
        "./state//refine/token",
        "sneaky/token",
        "tok",
    ] {
        let e = r.read(&p(path), None, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden, "read {path}: {e:?}");
    }
    for path in ["state/refine", "sneaky"] {
        assert_eq!(
            r.list(&p(path), true).unwrap_err().code,
            ErrorCode::Forbidden
        );
    }
    let e = r.write(&p("state/refine/token"), b"x", None).unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    let e = r.write(&p("sneaky/token"), b"x", None).unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    let e = r
        .create(&p("sneaky/new"), FileKind::File, b"x")
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    for path in ["state", "state/refine", "state/refine/token"] {
        assert_eq!(
            r.delete(&p(path), true).unwrap_err().code,
            ErrorCode::Forbidden
        );
        assert_eq!(
            r.rename(&p(path), &p("elsewhere")).unwrap_err().code,
            ErrorCode::Forbidden
        );
    }
    let e = r.delete(&p("tok"), false).unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden, "a link into the data dir");
    // Listings and walks do not show it.
    let state = r.list(&p("state"), true).unwrap();
    assert!(state.entries.is_empty(), "{state:?}");
    let found = r
        .find(
            "token",
            &FindOptions {
                limit: 10,
                show_ignored: true,
            },
        )
        .unwrap();
    assert!(
        found.items.iter().all(|m| !m.path.starts_with("state")),
        "{found:?}"
    );
    assert_eq!(
        std::fs::read_to_string(data.join("token")).unwrap(),
        "secret-token"
    );
}

#[test]
fn the_git_dir_is_read_only() {
    let f = fixture();
    std::fs::create_dir_all(f.root.join(".git/hooks")).unwrap();
    std::fs::write(f.root.join(".git/config"), "[core]\n").unwrap();
    let r = open(&f);
    assert!(r.read(&p(".git/config"), None, None).is_ok());
    for e in [
        r.write(&p(".git/config"), b"x", None).unwrap_err(),
        r.create(&p(".git/hooks/pre-commit"), FileKind::File, b"x")
            .unwrap_err(),
        r.delete(&p(".git"), true).unwrap_err(),
        r.rename(&p("hello.txt"), &p(".git/hello.txt")).unwrap_err(),
    ] {
        assert_eq!(e.code, ErrorCode::Forbidden, "{e:?}");
    }
    assert!(r
        .list(&RelPath::root(), true)
        .unwrap()
        .entries
        .iter()
        .all(|e| e.name != ".git"));
}

#[test]
fn read_detects_binary_caps_size_and_serves_ranges() {
    let f = fixture();
    std::fs::write(f.root.join("nul.bin"), b"abc\0def").unwrap();
    std::fs::write(f.root.join("latin1.txt"), b"caf\xe9").unwrap();
    std::fs::write(f.root.join("big.txt"), vec![b'a'; READ_LIMIT as usize + 1]).unwrap();
    std::fs::write(f.root.join("utf8.txt"), "añb").unwrap();
    let r = open(&f);
    let bin = r.read(&p("nul.bin"), None, None).unwrap();
    assert!(bin.binary && bin.content.is_none());
    assert_eq!(bin.etag, etag_of(b"abc\0def"));
    assert!(r.read(&p("latin1.txt"), None, None).unwrap().binary);
    let e = r.read(&p("big.txt"), None, None).unwrap_err();
    assert_eq!(e.code, ErrorCode::PayloadTooLarge);
    assert!(e.message.contains("range"), "{}", e.message);
    let part = r.read(&p("big.txt"), Some(10), Some(5)).unwrap();
    assert_eq!(part.content.as_deref(), Some("aaaaa"));
    assert_eq!(part.size, (READ_LIMIT + 1) as f64);
    // A range starting inside a multi-byte character skips to the next whole one.
    let mid = r.read(&p("utf8.txt"), Some(2), None).unwrap();
    assert_eq!(mid.content.as_deref(), Some("b"));
    assert_eq!(mid.offset, 3.0);
    let e = r.read(&p("src"), None, None).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(
        r.read(&p("nope"), None, None).unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[test]
fn write_checks_the_etag_keeps_the_mode_and_leaves_no_temp_files() {
    let f = fixture();
    let script = f.root.join("run.sh");
    std::fs::write(&script, "echo 1\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o751)).unwrap();
    let r = open(&f);
    let v1 = r.read(&p("run.sh"), None, None).unwrap();
    let w = r.write(&p("run.sh"), b"echo 2\n", Some(&v1.etag)).unwrap();
    assert_eq!(w.etag.as_deref(), Some(etag_of(b"echo 2\n").as_str()));
    let stale = r
        .write(&p("run.sh"), b"echo 3\n", Some(&v1.etag))
        .unwrap_err();
    assert_eq!(stale.code, ErrorCode::Stale);
    assert_eq!(stale.details.unwrap()["etag"], etag_of(b"echo 2\n"));
    assert_eq!(std::fs::read_to_string(&script).unwrap(), "echo 2\n");
    assert_eq!(
        std::fs::metadata(&script).unwrap().permissions().mode() & 0o7777,
        0o751
    );
    let names: Vec<String> = std::fs::read_dir(&f.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(TEMP_PREFIX)),
        "{names:?}"
    );
    assert_eq!(
        r.write(&p("missing.txt"), b"x", None).unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[test]
fn create_rename_delete() {
    let f = fixture();
    let r = open(&f);
    r.create(&p("docs"), FileKind::Dir, b"").unwrap();
    let c = r.create(&p("docs/a.md"), FileKind::File, b"# A\n").unwrap();
    assert_eq!(c.kind, FileKind::File);
    assert_eq!(
        r.create(&p("docs/a.md"), FileKind::File, b"")
            .unwrap_err()
            .code,
        ErrorCode::Conflict
    );
    assert_eq!(
        r.create(&p("nodir/a.md"), FileKind::File, b"")
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    assert_eq!(
        r.rename(&p("docs/a.md"), &p("hello.txt")).unwrap_err().code,
        ErrorCode::Conflict
    );
    r.rename(&p("docs/a.md"), &p("docs/b.md")).unwrap();
    assert_eq!(
        r.rename(&p("docs"), &p("docs/inner")).unwrap_err().code,
        ErrorCode::InvalidInput
    );
    assert_eq!(
        r.delete(&p("docs"), false).unwrap_err().code,
        ErrorCode::Conflict
    );
    assert_eq!(r.delete(&p("docs"), true).unwrap(), FileKind::Dir);
    assert!(!f.root.join("docs").exists());
    assert_eq!(
        r.delete(&RelPath::root(), true).unwrap_err().code,
        ErrorCode::InvalidInput
    );
    // Names that look like shell are only names.
    for name in ["$(touch pwned)", ";touch pwned", "`touch pwned`", "a b|c&d"] {
        r.create(&p(name), FileKind::File, b"x").unwrap();
        assert!(f.root.join(name).is_file());
    }
    assert!(!f.root.join("pwned").exists());
}

#[test]
fn tree_is_gitignore_aware_and_sorted() {
    let f = fixture();
    std::fs::write(f.root.join(".gitignore"), "target/\n*.log\n").unwrap();
    std::fs::create_dir_all(f.root.join("target/debug")).unwrap();
    std::fs::write(f.root.join("x.log"), "").unwrap();
    std::fs::create_dir_all(f.root.join("B")).unwrap();
    let r = open(&f);
    let names = |show| -> Vec<String> {
        r.list(&RelPath::root(), show)
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.name)
            .collect()
    };
    assert_eq!(names(false), ["B", "src", ".gitignore", "hello.txt"]);
    assert_eq!(
        names(true),
        ["B", "src", "target", ".gitignore", "hello.txt", "x.log"]
    );
    let t = r.list(&p("target"), true).unwrap();
    assert!(t.entries.iter().all(|e| e.ignored));
    assert!(r.list(&p("target"), false).unwrap().entries.is_empty());
}

#[test]
fn find_and_grep() {
    let f = fixture();
    std::fs::write(f.root.join(".gitignore"), "gen/\n").unwrap();
    std::fs::create_dir_all(f.root.join("gen")).unwrap();
    std::fs::write(f.root.join("gen/main_gen.rs"), "fn main() {}\n").unwrap();
    std::fs::write(
        f.root.join("src/lib.rs"),
        "pub fn add() {}\n// TODO: more\n",
    )
    .unwrap();
    let r = open(&f);
    let found = r
        .find(
            "mars",
            &FindOptions {
                limit: 5,
                show_ignored: false,
            },
        )
        .unwrap();
    assert_eq!(found.items[0].path, "src/main.rs");
    assert!(found.items.iter().all(|m| !m.path.starts_with("gen")));
    let opts = GrepOptions {
        case_insensitive: false,
        fixed_strings: false,
        limit: 10,
        show_ignored: false,
    };
    let g = r.grep(r"fn \w+\(", &RelPath::root(), &opts).unwrap();
    let hits: Vec<(String, u32)> = g.matches.iter().map(|m| (m.path.clone(), m.line)).collect();
    assert_eq!(
        hits,
        [
            ("src/lib.rs".to_string(), 1),
            ("src/main.rs".to_string(), 1)
        ]
    );
    let todo = r
        .grep(
            "todo",
            &p("src"),
            &GrepOptions {
                case_insensitive: true,
                ..opts.clone()
            },
        )
        .unwrap();
    assert_eq!(todo.matches[0].line, 2);
    assert_eq!(todo.matches[0].text, "// TODO: more");
    let e = r.grep("fn (", &RelPath::root(), &opts).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let one = r
        .grep("fn", &RelPath::root(), &GrepOptions { limit: 1, ..opts })
        .unwrap();
    assert_eq!(one.matches.len(), 1);
    assert!(one.truncated);
}

fn wait_for(rx: &mpsc::Receiver<Vec<(String, ChangeKind)>>, path: &str) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while std::time::Instant::now() < deadline {
        if let Ok(batch) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.extend(batch.into_iter().map(|(p, _)| p));
            if seen.iter().any(|p| p == path) {
                return seen;
            }
        }
    }
    panic!("no change reported for {path}; saw {seen:?}");
}

#[test]
fn watcher_reports_changes_and_skips_ignored_paths() {
    let f = fixture();
    std::fs::write(f.root.join(".gitignore"), "*.log\n").unwrap();
    std::fs::create_dir_all(f.root.join(".git")).unwrap();
    let (tx, rx) = mpsc::channel();
    let w = Watcher::start(&f.root, &f.data, Duration::from_millis(100), move |b| {
        let _ = tx.send(b);
    })
    .unwrap();
    std::fs::write(f.root.join("debug.log"), "x").unwrap();
    std::fs::write(f.root.join(".git/index"), "x").unwrap();
    std::fs::write(f.root.join("src/new.rs"), "x").unwrap();
    let seen = wait_for(&rx, "src/new.rs");
    assert!(
        !seen
            .iter()
            .any(|p| p.ends_with(".log") || p.starts_with(".git")),
        "{seen:?}"
    );
    // A new directory is watched too.
    std::fs::create_dir_all(f.root.join("pkg")).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(f.root.join("pkg/inner.rs"), "x").unwrap();
    wait_for(&rx, "pkg/inner.rs");
    drop(w);
    let _ = Path::new(".");
}

#[test]
fn a_kept_file_index_follows_changes_on_disk() {
    let t = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("src/deep")).unwrap();
    std::fs::write(t.path().join("src/a.rs"), "a").unwrap();
    std::fs::write(t.path().join("src/deep/b.rs"), "b").unwrap();
    std::fs::write(t.path().join("top.md"), "t").unwrap();
    let root = Root::open(t.path(), data.path()).unwrap();
    let mut idx = root.index_files(false).unwrap();
    assert_eq!(idx.len(), 3);
    let names = |i: &super::FileIndex| {
        let mut v: Vec<String> = i
            .find("rs", 50)
            .unwrap()
            .items
            .into_iter()
            .map(|m| m.path)
            .collect();
        v.sort();
        v
    };
    // A new file, a removed directory (with what it held), a modified file (no change).
    std::fs::write(t.path().join("src/c.rs"), "c").unwrap();
    std::fs::remove_dir_all(t.path().join("src/deep")).unwrap();
    let changed: Vec<String> = ["src/c.rs", "src/deep", "src/a.rs"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(idx.apply(t.path(), &changed, true));
    assert_eq!(names(&idx), ["src/a.rs", "src/c.rs"]);
    assert_eq!(idx.len(), 3, "no duplicates: src/a.rs was already listed");
    // A directory nobody reported the contents of, or new ignore rules: build afresh.
    std::fs::create_dir_all(t.path().join("lib")).unwrap();
    assert!(!idx.clone().apply(t.path(), &["lib".to_string()], false));
    assert!(!idx.apply(t.path(), &[".gitignore".to_string()], true));
}
