//! `refine term` against a real daemon, attached from inside tmux like a person would: raw mode,
//! typing reaches the session, Ctrl-] detaches and the outer shell's prompt returns while the
//! session keeps running.

use std::path::Path;
use std::time::{Duration, Instant};

use refine_e2e::{git_repo, text, Daemon};

struct Tmux<'a> {
    d: &'a Daemon,
    sock: String,
    dir: &'a Path,
}

impl Tmux<'_> {
    fn run(&self, args: &str) -> String {
        let o = self
            .d
            .sh(&format!("tmux -S {} {args}", self.sock), self.dir);
        assert!(o.status.success(), "tmux {args}: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).to_string()
    }
    fn screen(&self) -> String {
        self.run("capture-pane -p -t e2e")
    }
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {what}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux<'_> {
    fn drop(&mut self) {
        let _ = self
            .d
            .sh(&format!("tmux -S {} kill-server", self.sock), self.dir);
    }
}

#[test]
fn attach_from_tmux_types_and_detaches() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Daemon::start(&tmp.path().join("data"));
    git_repo(tmp.path(), "site");
    let dir = tmp.path();
    let ok = |script: &str| {
        let o = d.sh(script, dir);
        assert!(o.status.success(), "{script}: {}", text(&o));
        text(&o)
    };
    ok("refine apps add site");
    let id = ok("refine term new --title e2e -- env PS1='inner$ ' bash --norc --noprofile")
        .trim()
        .to_string();
    assert_eq!(id.len(), 36, "{id}");
    let list = ok("refine term list");
    assert!(list.contains(&id) && list.contains("running"), "{list}");

    let t = Tmux {
        d: &d,
        sock: tmp.path().join("tmux.sock").display().to_string(),
        dir,
    };
    t.run("new-session -d -s e2e -x 120 -y 30 \"env PS1='outer> ' bash --norc --noprofile\"");
    t.wait_for("the outer prompt", |s| s.contains("outer>"));
    t.run(&format!("send-keys -t e2e 'refine term attach {id}' Enter"));
    t.wait_for("the inner prompt", |s| s.contains("inner$"));
    t.run("send-keys -t e2e 'echo from-\"\"tmux' Enter");
    t.wait_for("the echo", |s| s.lines().any(|l| l.trim() == "from-tmux"));
    // The session saw the outer terminal's size (sent on attach).
    t.run("send-keys -t e2e 'stty size' Enter");
    t.wait_for("the size", |s| s.lines().any(|l| l.trim() == "30 120"));
    t.run("send-keys -t e2e C-]");
    let s = t.wait_for("the detach and the outer prompt", |s| {
        s.contains("[detached from") && s.trim_end().ends_with("outer>")
    });
    assert!(s.contains(&id), "{s}");

    // The session lives on without clients and kept the output.
    let info = ok(&format!("refine call terminal.get '{{\"id\":\"{id}\"}}'"));
    assert!(
        info.contains("\"clients\": 0") || info.contains("\"clients\":0"),
        "{info}"
    );
    assert!(
        info.contains("\"exited\": false") || info.contains("\"exited\":false"),
        "{info}"
    );
    let sb = ok(&format!(
        "refine call terminal.scrollback '{{\"id\":\"{id}\"}}'"
    ));
    assert!(sb.contains("from-tmux"), "{sb}");

    // Attach again: the scrollback is replayed; the program's exit ends the attach.
    t.run("send-keys -t e2e clear Enter");
    t.run(&format!("send-keys -t e2e 'refine term attach {id}' Enter"));
    t.wait_for("the replayed scrollback", |s| s.contains("from-tmux"));
    t.run("send-keys -t e2e 'exit 4' Enter");
    t.wait_for("the exit notice", |s| {
        s.contains("exited with code 4") && s.trim_end().ends_with("outer>")
    });
    let closed = ok(&format!("refine term close {id}"));
    assert!(closed.contains("closed"), "{closed}");
    let gone = d.sh(&format!("refine term attach {id}"), dir);
    assert_eq!(gone.status.code(), Some(3), "not found: {}", text(&gone));
}
