//! Starting a whole daemon: lock the data dir, open the core (start-up repair runs before the
//! listener opens), bind, publish `daemon.json`, serve. Used by `refine --serve` and the desktop.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use refine_core::daemon::{DaemonInfo, DataDir, DataDirError};
use refine_core::{Core, CoreConfig, RepairReport};

use crate::ServerConfig;

/// How to start a daemon.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    pub data_dir: PathBuf,
    /// 0 picks a free port.
    pub port: u16,
    pub bind: IpAddr,
    /// A non-loopback `bind` must be confirmed explicitly.
    pub allow_remote: bool,
    pub ui_dir: Option<PathBuf>,
    /// Join the cluster on these NATS servers at start (`--cluster`); else rejoin the one the
    /// data dir was in, if any.
    pub cluster: Option<Vec<String>>,
    /// This node's name (`--node-name`; default: the host name).
    pub node_name: Option<String>,
}

impl DaemonOptions {
    pub fn new(data_dir: PathBuf) -> Self {
        DaemonOptions {
            data_dir,
            port: refine_core::daemon::DEFAULT_PORT,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            allow_remote: false,
            ui_dir: None,
            cluster: None,
            node_name: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error("could not open Refine's database: {0}")]
    Core(String),
    #[error("refusing to listen on {0}: it is not a loopback address. Anyone on that network could reach the daemon (token-protected). Pass --allow-remote to do it anyway")]
    NotLoopback(IpAddr),
    #[error("port {0} is already in use; pass --port 0 to pick a free one, or --port N")]
    PortInUse(u16),
    #[error("could not listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("--cluster: {0}")]
    Cluster(String),
}

/// A daemon that is up and listening.
pub struct RunningDaemon {
    pub core: Core,
    pub url: String,
    pub port: u16,
    pub token: String,
    pub repair: RepairReport,
    data_dir: DataDir,
    listener: Option<tokio::net::TcpListener>,
    config: ServerConfig,
}

impl RunningDaemon {
    /// A one-time link that signs a browser in (show it to the user only; it works once,
    /// within 15 minutes; `refine open` makes new ones).
    pub fn login_url(&self) -> String {
        match self.core.mint_login_link(&self.url) {
            Ok(l) => l.url,
            Err(_) => self.url.clone(),
        }
    }

    /// Serve until shutdown is requested; then ends every process the daemon started and
    /// removes `daemon.json` on the way out.
    pub async fn serve(mut self) -> std::io::Result<()> {
        let listener = self.listener.take().expect("serve is called once");
        self.core.start_runner();
        self.core.start_housekeeping();
        self.core.start_feed_checks();
        self.core.start_detection();
        self.core.start_health_prober();
        self.core.start_webhooks();
        let r = crate::serve(self.core.clone(), listener, self.config.clone()).await;
        self.core.shutdown_cleanup().await;
        self.data_dir.remove_info();
        r
    }
}

/// Lock the data dir, repair, bind, write `daemon.json`. Serving starts with [`RunningDaemon::serve`].
pub async fn start(opts: DaemonOptions) -> Result<RunningDaemon, StartError> {
    if !opts.bind.is_loopback() && !opts.allow_remote {
        return Err(StartError::NotLoopback(opts.bind));
    }
    let data_dir = DataDir::open(&opts.data_dir)?;
    let token = data_dir.token()?;
    let dir = data_dir.path().to_path_buf();
    let (core, repair) = tokio::task::spawn_blocking(move || Core::open(CoreConfig::new(dir)))
        .await
        .map_err(|e| StartError::Core(e.to_string()))?
        .map_err(|e| StartError::Core(e.message))?;
    // Connecting happens in the background (a node starts while NATS is away); a bad URL
    // stops the start here.
    core.resume_cluster(opts.cluster.clone(), opts.node_name.clone())
        .await
        .map_err(|e| StartError::Cluster(e.message))?;
    let addr = SocketAddr::new(opts.bind, opts.port);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            StartError::PortInUse(opts.port)
        } else {
            StartError::Bind(addr, e)
        }
    })?;
    let port = listener
        .local_addr()
        .map_err(|e| StartError::Bind(addr, e))?
        .port();
    let url = format!("http://127.0.0.1:{port}");
    core.set_url(Some(url.clone()));
    data_dir.write_info(&DaemonInfo {
        url: url.clone(),
        port,
        pid: std::process::id(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: refine_core::clock::now(),
    })?;
    let extra_hosts = if opts.bind.is_loopback() || opts.bind.is_unspecified() {
        Vec::new()
    } else {
        vec![match opts.bind {
            IpAddr::V6(v6) => format!("[{v6}]"),
            v4 => v4.to_string(),
        }]
    };
    let config = ServerConfig {
        token: token.clone(),
        port,
        ui_dir: opts.ui_dir.clone(),
        extra_hosts,
    };
    Ok(RunningDaemon {
        core,
        url,
        port,
        token,
        repair,
        data_dir,
        listener: Some(listener),
        config,
    })
}
