//! Pseudo-terminals (portable-pty): a program from an argv array on a new PTY in its own session,
//! a clean environment, a reader that keeps a bounded scrollback and fans output out to attached
//! clients, input, resize, and kill (the whole session) on close.
//!
//! The reader is a task on the async runtime, not a thread: the PTY's master is non-blocking and
//! registered with the runtime's reactor, and each turn reads at most one chunk, then yields. So
//! terminals take turns in one place, a keystroke's echo waits behind at most a chunk of each
//! terminal printing meanwhile, and a terminal flooding output does not add a runnable thread
//! per terminal to the machine.
//!
//! Flow control: while the slowest attached client has `HIGH_WATER` chunks queued the reader
//! stops reading, the PTY fills and the program blocks on its writes, as in any terminal; output
//! is never dropped for a client that keeps reading. A client that takes nothing for `STALL`
//! stops holding the program back and lags instead (it gets a `lagged` note and can reattach).

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, CommandBuilder, MasterPty, PtySize};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::{broadcast, watch};

/// Live output chunks waiting for a slow client before it lags.
const FANOUT: usize = 1024;
/// Queued chunks at which the reader waits for the slowest client (backpressure).
const HIGH_WATER: usize = FANOUT * 3 / 4;
/// A client that takes nothing for this long no longer holds the program back.
const STALL: Duration = Duration::from_secs(2);
/// After the program ended: how long to wait for its last output (background jobs may keep the
/// PTY open), and the most a client still draining the output may extend that.
const LAST_OUTPUT: Duration = Duration::from_millis(500);
const LAST_OUTPUT_HELD: Duration = Duration::from_secs(30);
/// Input this short (a keystroke, an escape sequence) may be written by the caller at once.
const QUICK_INPUT: usize = 32;
/// The most output read in one turn of the reader.
const READ_CHUNK: usize = 16 * 1024;

/// What to run and how.
#[derive(Debug, Clone)]
pub struct PtySpec {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    /// The complete environment of the child (see [`crate::process::child_env`]).
    pub env: HashMap<String, String>,
    pub cols: u16,
    pub rows: u16,
    /// Bytes of output kept for replay on (re)attach.
    pub scrollback: usize,
}

/// How the program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtyExit {
    /// Exit code (signals are reported by portable-pty as code 1).
    pub code: i32,
}

struct Ring {
    buf: VecDeque<u8>,
    cap: usize,
    /// Bytes were dropped from the front.
    cut: bool,
}

impl Ring {
    fn push(&mut self, data: &[u8]) {
        if data.len() >= self.cap {
            self.buf.clear();
            self.buf.extend(&data[data.len() - self.cap..]);
            self.cut = true;
            return;
        }
        let over = (self.buf.len() + data.len()).saturating_sub(self.cap);
        if over > 0 {
            self.buf.drain(..over);
            self.cut = true;
        }
        self.buf.extend(data);
    }

    /// The kept bytes; after a cut, starting at a line so no half escape sequence leads.
    fn snapshot(&self, max: usize) -> Vec<u8> {
        let skip = self.buf.len().saturating_sub(max);
        let mut v: Vec<u8> = self.buf.iter().skip(skip).copied().collect();
        if self.cut || skip > 0 {
            if let Some(nl) = v.iter().position(|&b| b == b'\n') {
                if nl < 4096 {
                    v.drain(..=nl);
                }
            }
        }
        v
    }
}

/// A running (or ended) program on a PTY.
pub struct Pty {
    pid: u32,
    master: Mutex<Box<dyn MasterPty + Send>>,
    writer: Mutex<Box<dyn Write + Send>>,
    ring: Mutex<Ring>,
    tx: broadcast::Sender<Arc<[u8]>>,
    exit: watch::Sender<Option<PtyExit>>,
    /// The reader waits for a slow client (see [`wait_for_room`]).
    held: AtomicBool,
}

/// Backpressure: wait while the slowest receiver has `HIGH_WATER` chunks queued, unless it took
/// nothing for `STALL`. Without receivers nothing is queued and this returns at once.
async fn wait_for_room(tx: &broadcast::Sender<Arc<[u8]>>, held: &AtomicBool) {
    let mut queued = tx.len();
    if queued < HIGH_WATER {
        return;
    }
    held.store(true, Ordering::SeqCst);
    let mut progress = Instant::now();
    while queued >= HIGH_WATER && progress.elapsed() < STALL {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let now = tx.len();
        if now < queued {
            progress = Instant::now();
        }
        queued = now;
    }
    held.store(false, Ordering::SeqCst);
}

/// A second descriptor of the PTY's master, non-blocking. (`O_NONBLOCK` belongs to the open file,
/// so the writer is non-blocking too: see [`write_all`].)
fn nonblocking_dup(fd: RawFd) -> std::io::Result<OwnedFd> {
    // SAFETY: plain syscalls on a descriptor this process owns; the new one is owned once made.
    unsafe {
        let dup = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0);
        if dup < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let owned = OwnedFd::from_raw_fd(dup);
        let flags = libc::fcntl(dup, libc::F_GETFL);
        if flags < 0 || libc::fcntl(dup, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(owned)
    }
}

/// Wait until `fd` takes a write (`timeout_ms` -1: as long as it takes).
fn wait_writable(fd: RawFd, timeout_ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let ready = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    ready == 1 && p.revents & libc::POLLOUT != 0
}

/// Write all of `data` to the non-blocking writer, waiting for room when the PTY is full.
fn write_all(w: &mut dyn Write, fd: RawFd, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        match w.write(data) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                wait_writable(fd, -1);
            }
            Err(e) => return Err(e),
        }
    }
    w.flush()
}

/// Read the PTY on the runtime until every slave descriptor is closed: a chunk per turn, into
/// the ring and out to the clients. Reports the end on `eof`.
async fn read_output(p: Arc<Pty>, fd: AsyncFd<OwnedFd>, eof: std::sync::mpsc::Sender<()>) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        wait_for_room(&p.tx, &p.held).await;
        let Ok(mut ready) = fd.readable().await else {
            break;
        };
        let read = ready.try_io(|fd| {
            // SAFETY: reads into a buffer of `buf.len()` bytes this task owns.
            let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        });
        match read {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                let chunk: Arc<[u8]> = Arc::from(&buf[..n]);
                // Ring and fan-out under one lock: an attach sees each byte once.
                let mut ring = p.ring.lock().unwrap_or_else(|e| e.into_inner());
                ring.push(&chunk);
                let _ = p.tx.send(chunk);
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // EIO: every slave fd is closed.
            Ok(Err(_)) => break,
            // Not readable after all; the readiness was cleared, wait again.
            Err(_) => continue,
        }
        // One chunk a turn: other terminals (and the echo of a keystroke) go next.
        tokio::task::yield_now().await;
    }
    let _ = eof.send(());
}

impl std::fmt::Debug for Pty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pty").field("pid", &self.pid).finish()
    }
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl Pty {
    /// Open a PTY and start `spec.argv` on it (own session, the PTY as controlling terminal).
    /// Called within a tokio runtime (a task or `spawn_blocking`), whose reactor reads the PTY.
    pub fn spawn(spec: PtySpec) -> std::io::Result<Arc<Pty>> {
        if spec.argv.is_empty() {
            return Err(io_err("argv is empty"));
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| io_err("a PTY is read by the async runtime; none is running here"))?;
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: spec.rows,
                cols: spec.cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(io_err)?;
        let mut cmd = CommandBuilder::new(&spec.argv[0]);
        cmd.args(&spec.argv[1..]);
        cmd.cwd(&spec.cwd);
        cmd.env_clear();
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        let mut child = pair.slave.spawn_command(cmd).map_err(|e| {
            let msg = e.to_string();
            if msg.contains("No such file") || msg.contains("Unable to spawn") {
                std::io::Error::new(std::io::ErrorKind::NotFound, msg)
            } else {
                io_err(msg)
            }
        })?;
        // Only the child may hold the slave side, or the reader never sees the end.
        drop(pair.slave);
        let pid = child.process_id().unwrap_or(0);
        let master_fd = pair
            .master
            .as_raw_fd()
            .ok_or_else(|| io_err("the PTY has no descriptor"))?;
        let reader = {
            let _entered = runtime.enter();
            // SAFETY: an OwnedFd stays open, and names the same file, until it is dropped.
            unsafe {
                AsyncFd::register_with_interest(nonblocking_dup(master_fd)?, Interest::READABLE)
            }
            .map_err(|e| e.into_parts().1)?
        };
        let writer = pair.master.take_writer().map_err(io_err)?;
        let (tx, _) = broadcast::channel(FANOUT);
        let (exit, _) = watch::channel(None);
        let pty = Arc::new(Pty {
            pid,
            master: Mutex::new(pair.master),
            writer: Mutex::new(writer),
            ring: Mutex::new(Ring {
                buf: VecDeque::new(),
                cap: spec.scrollback.max(1024),
                cut: false,
            }),
            tx,
            exit,
            held: AtomicBool::new(false),
        });
        let (eof_tx, eof_rx) = std::sync::mpsc::channel::<()>();
        runtime.spawn(read_output(pty.clone(), reader, eof_tx));
        let p = pty.clone();
        std::thread::Builder::new()
            .name(format!("pty-wait-{pid}"))
            .spawn(move || {
                let code = match child.wait() {
                    Ok(s) => s.exit_code() as i32,
                    Err(_) => -1,
                };
                // Let the last output arrive (unless a background job keeps the PTY open), for
                // longer while a client is still taking it.
                let ended = Instant::now();
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    eof_rx.recv_timeout(Duration::from_millis(50))
                {
                    let waited = ended.elapsed();
                    if waited >= LAST_OUTPUT_HELD
                        || (waited >= LAST_OUTPUT && !p.held.load(Ordering::SeqCst))
                    {
                        break;
                    }
                }
                p.exit.send_replace(Some(PtyExit { code }));
            })?;
        Ok(pty)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The scrollback and a receiver of everything after it (no gap, no overlap).
    pub fn attach(&self) -> (Vec<u8>, broadcast::Receiver<Arc<[u8]>>) {
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        (ring.snapshot(usize::MAX), self.tx.subscribe())
    }

    /// The last `max` bytes of output.
    pub fn scrollback(&self, max: usize) -> Vec<u8> {
        self.ring
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .snapshot(max)
    }

    /// Write a keystroke's worth of input now, as far as the PTY takes it without waiting: it
    /// is short (`QUICK_INPUT`), no other write is under way and the PTY has room. Answers how
    /// many bytes were taken (never waits); write the rest with [`Pty::write`] off the
    /// executor. Saves a keystroke the trip through another thread, which on a busy machine is
    /// most of its echo's delay.
    pub fn write_now(&self, data: &[u8]) -> std::io::Result<usize> {
        if data.len() > QUICK_INPUT {
            return Ok(0);
        }
        let Ok(mut w) = self.writer.try_lock() else {
            return Ok(0);
        };
        let Some(fd) = self
            .master
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_raw_fd()
        else {
            return Ok(0);
        };
        if !wait_writable(fd, 0) {
            return Ok(0);
        }
        let taken = match w.write(data) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                ) =>
            {
                0
            }
            Err(e) => return Err(e),
        };
        w.flush()?;
        Ok(taken)
    }

    /// Send input bytes (blocks while the program does not read and the PTY buffer is full).
    pub fn write(&self, data: &[u8]) -> std::io::Result<()> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let fd = self
            .master
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_raw_fd()
            .ok_or_else(|| io_err("the PTY has no descriptor"))?;
        write_all(&mut **w, fd, data)
    }

    pub fn resize(&self, cols: u16, rows: u16) -> std::io::Result<()> {
        self.master
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(io_err)
    }

    /// `None` while running, then how it ended.
    pub fn exit_status(&self) -> Option<PtyExit> {
        *self.exit.borrow()
    }

    pub fn exited(&self) -> watch::Receiver<Option<PtyExit>> {
        self.exit.subscribe()
    }

    /// End the program and everything in its session: SIGHUP, then SIGKILL after `grace`.
    pub async fn kill(&self, grace: Duration) {
        let sid = self.pid as i32;
        if sid <= 1 {
            return;
        }
        signal_session(sid, libc::SIGHUP);
        signal_session(sid, libc::SIGCONT);
        let mut rx = self.exited();
        let ended = tokio::time::timeout(grace, rx.wait_for(|e| e.is_some()))
            .await
            .is_ok();
        if !ended || !session_members(sid).is_empty() {
            signal_session(sid, libc::SIGKILL);
            let _ =
                tokio::time::timeout(Duration::from_secs(3), rx.wait_for(|e| e.is_some())).await;
        }
    }
}

/// Pids (not zombies) whose session id is `sid`.
pub fn session_members(sid: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            let Some(close) = stat.rfind(')') else {
                return false;
            };
            // state ppid pgrp session
            let f: Vec<&str> = stat[close + 2..].split_whitespace().take(4).collect();
            f.len() == 4 && f[0] != "Z" && f[3].parse::<i32>().ok() == Some(sid)
        })
        .collect()
}

/// Signal every process of session `sid` (process groups of background jobs included).
pub fn signal_session(sid: i32, sig: i32) {
    for pid in session_members(sid) {
        // SAFETY: plain syscall.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(argv: &[&str]) -> PtySpec {
        PtySpec {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            cwd: std::env::temp_dir(),
            env: crate::process::child_env(
                "pty-test",
                &HashMap::from([("TERM".to_string(), "xterm-256color".to_string())]),
            ),
            cols: 80,
            rows: 24,
            scrollback: 64 * 1024,
        }
    }

    async fn until(pty: &Pty, needle: &str) -> String {
        for _ in 0..300 {
            let s = String::from_utf8_lossy(&pty.scrollback(usize::MAX)).to_string();
            if s.contains(needle) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "never saw {needle:?}: {:?}",
            String::from_utf8_lossy(&pty.scrollback(usize::MAX))
        );
    }

    #[tokio::test]
    async fn echo_resize_exit_and_kill() {
        let pty = Pty::spawn(spec(&["bash", "--norc", "--noprofile"])).unwrap();
        pty.write(b"echo $((40+2)) $TERM\r").unwrap();
        until(&pty, "42 xterm-256color").await;
        pty.resize(100, 30).unwrap();
        pty.write(b"stty size\r").unwrap();
        until(&pty, "30 100").await;
        pty.write(b"sleep 300 &\r").unwrap();
        pty.write(b"echo bg=$!\r").unwrap();
        let out = until(&pty, "bg=").await;
        assert!(!out.is_empty());
        let sid = pty.pid() as i32;
        assert!(session_members(sid).len() >= 2);
        pty.kill(Duration::from_secs(2)).await;
        assert!(pty.exit_status().is_some());
        for _ in 0..100 {
            if session_members(sid).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            session_members(sid).is_empty(),
            "the background job died too"
        );

        let pty = Pty::spawn(spec(&["bash", "-c", "exit 7"])).unwrap();
        let mut rx = pty.exited();
        let e = rx.wait_for(|e| e.is_some()).await.unwrap().unwrap();
        assert_eq!(e.code, 7);
        assert!(Pty::spawn(spec(&["no-such-program-xyz"])).is_err());
    }

    #[tokio::test]
    async fn a_slow_client_holds_the_program_back_instead_of_losing_output() {
        let pty = Pty::spawn(spec(&[
            "bash",
            "-c",
            "read -r _; head -c 32000000 /dev/zero | tr '\\0' x; echo; echo END",
        ]))
        .unwrap();
        let (_, mut rx) = pty.attach();
        pty.write(b"\r").unwrap();
        // Far more than the fan-out queue holds is written while this client takes nothing.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut xs = 0usize;
        let mut tail = Vec::new();
        loop {
            let chunk = match rx.recv().await {
                Ok(c) => c,
                Err(e) => panic!("output was lost: {e:?}"),
            };
            xs += chunk.iter().filter(|&&b| b == b'x').count();
            tail.extend_from_slice(&chunk);
            if String::from_utf8_lossy(&tail).contains("END") {
                break;
            }
            tail.drain(..tail.len().saturating_sub(8));
        }
        assert_eq!(xs, 32_000_000);
        pty.kill(Duration::from_secs(1)).await;
    }

    #[tokio::test]
    async fn a_keystroke_is_written_at_once_and_a_paste_is_left_to_write() {
        let pty = Pty::spawn(spec(&["bash", "--norc", "--noprofile"])).unwrap();
        let keys = b"echo $((6*7))quick\r";
        assert_eq!(pty.write_now(keys).unwrap(), keys.len());
        until(&pty, "42quick").await;
        let paste = vec![b'x'; QUICK_INPUT + 1];
        assert_eq!(
            pty.write_now(&paste).unwrap(),
            0,
            "longer input is not written here"
        );
        pty.kill(Duration::from_secs(1)).await;
    }

    #[test]
    fn ring_keeps_the_tail_from_a_line_start() {
        let mut r = Ring {
            buf: VecDeque::new(),
            cap: 10,
            cut: false,
        };
        r.push(b"abc\n");
        assert_eq!(r.snapshot(usize::MAX), b"abc\n");
        r.push(b"defgh\nij");
        assert_eq!(r.snapshot(usize::MAX), b"defgh\nij");
        r.push(b"0123456789XYZ");
        assert_eq!(r.buf.len(), 10);
    }
}
