//! The accept loop. Any local process can open connections to the daemon, so a connection must
//! earn its file descriptor: request headers arrive within [`HEADER_READ_TIMEOUT`] (hyper's
//! timer), a connection idle between requests is closed after [`IDLE_TIMEOUT`], and at most
//! [`MAX_CONNECTIONS`] are open. At the cap a new client still gets in: the connection that has
//! been quiet longest and is not answering a request is closed to make room; only when every
//! connection is busy answering (long event streams, say) is the newcomer refused, with a 503.
//! Request bodies have their own deadline where they are read (`api::read_body_up_to`).

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// Most connections open at once.
pub const MAX_CONNECTIONS: usize = 512;
/// A request's headers must arrive within this.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection with no request for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// One open connection, as the table sees it.
struct Conn {
    id: u64,
    /// Milliseconds since the table's epoch when bytes last arrived.
    last_read: AtomicU64,
    /// Requests being answered (including a response body still streaming).
    busy: AtomicUsize,
    close: tokio::sync::Notify,
}

/// The open connections.
struct Table {
    epoch: Instant,
    next: AtomicU64,
    max: usize,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Table {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Room for a new connection: a slot, or (at the cap) the quietest idle connection closed to
    /// make one; `None` when every connection is answering a request.
    fn admit(&self) -> Option<Arc<Conn>> {
        let mut conns = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        if conns.len() >= self.max {
            let victim = conns
                .values()
                .filter(|c| c.busy.load(Ordering::SeqCst) == 0)
                .min_by_key(|c| c.last_read.load(Ordering::SeqCst))
                .cloned()?;
            conns.remove(&victim.id);
            victim.close.notify_one();
        }
        let conn = Arc::new(Conn {
            id: self.next.fetch_add(1, Ordering::SeqCst),
            last_read: AtomicU64::new(self.now_ms()),
            busy: AtomicUsize::new(0),
            close: tokio::sync::Notify::new(),
        });
        conns.insert(conn.id, conn.clone());
        Some(conn)
    }

    fn release(&self, id: u64) {
        self.conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }
}

/// The socket, noting when bytes arrive.
struct Tracked {
    inner: TcpStream,
    conn: Arc<Conn>,
    table: Arc<Table>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut me.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            me.conn.last_read.store(me.table.now_ms(), Ordering::SeqCst);
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Counts a request as being answered until its response body is done (or dropped).
struct Busy(Arc<Conn>);

impl Busy {
    fn new(conn: Arc<Conn>) -> Busy {
        conn.busy.fetch_add(1, Ordering::SeqCst);
        Busy(conn)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its connection marked busy while it streams.
struct BusyBody {
    inner: Body,
    _busy: Busy,
}

impl http_body::Body for BusyBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 95\r\n\r\n{\"code\":\"unavailable\",\"message\":\"too many open connections to the daemon; retry in a moment\"}";

/// Serve `app` on `listener` until `stop` resolves; then let open connections finish (at most
/// a few seconds).
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    max: usize,
    stop: impl std::future::Future<Output = ()>,
) -> io::Result<()> {
    let table = Arc::new(Table {
        epoch: Instant::now(),
        next: AtomicU64::new(0),
        max,
        conns: Mutex::new(HashMap::new()),
    });
    let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, _addr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    // Out of file descriptors and the like: wait for some to come back.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let Some(conn) = table.admit() else {
            tokio::spawn(async move {
                let mut stream = stream;
                let _ =
                    tokio::time::timeout(Duration::from_secs(2), stream.write_all(REFUSAL)).await;
                let _ = stream.shutdown().await;
            });
            continue;
        };
        let io = TokioIo::new(Tracked {
            inner: stream,
            conn: conn.clone(),
            table: table.clone(),
        });
        let app = app.clone();
        let table2 = table.clone();
        let mut closing = closing_rx.clone();
        tokio::spawn(async move {
            let c = conn.clone();
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let busy = Busy::new(c.clone());
                let app = app.clone();
                async move {
                    let resp = app.oneshot(req.map(Body::new)).await?;
                    Ok::<_, std::convert::Infallible>(resp.map(|b| {
                        Body::new(BusyBody {
                            inner: b,
                            _busy: busy,
                        })
                    }))
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .keep_alive(true);
            let mut served = std::pin::pin!(builder.serve_connection(io, service).with_upgrades());
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tokio::select! {
                    _ = served.as_mut() => break,
                    _ = conn.close.notified() => break,
                    _ = async { let _ = closing.wait_for(|c| *c).await; } => {
                        served.as_mut().graceful_shutdown();
                        // Streams (events) end with the daemon; give the rest a moment.
                        let _ = tokio::time::timeout(Duration::from_secs(3), served.as_mut()).await;
                        break;
                    }
                    _ = tick.tick() => {
                        let quiet = table2.now_ms().saturating_sub(conn.last_read.load(Ordering::SeqCst));
                        if conn.busy.load(Ordering::SeqCst) == 0 && quiet > IDLE_TIMEOUT.as_millis() as u64 {
                            break;
                        }
                    }
                }
            }
            table2.release(conn.id);
            drop(closing);
        });
    }
    let _ = closing_tx.send(true);
    // Every connection task holds a receiver; the last one gone means all have finished.
    drop(closing_rx);
    let _ = tokio::time::timeout(Duration::from_secs(5), closing_tx.closed()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_quietest_idle_connection_makes_room() {
        let t = Table {
            epoch: Instant::now(),
            next: AtomicU64::new(0),
            max: 3,
            conns: Mutex::new(HashMap::new()),
        };
        let a = t.admit().unwrap();
        let b = t.admit().unwrap();
        let c = t.admit().unwrap();
        a.last_read.store(50, Ordering::SeqCst);
        b.last_read.store(10, Ordering::SeqCst);
        c.last_read.store(5, Ordering::SeqCst);
        let _busy = Busy::new(c.clone());
        let d = t.admit().expect("room is made");
        assert!(
            !t.conns.lock().unwrap().contains_key(&b.id),
            "b was the quietest idle one"
        );
        assert!(t.conns.lock().unwrap().contains_key(&c.id), "c is busy");
        let _all_busy = [Busy::new(a), Busy::new(d)];
        assert!(t.admit().is_none(), "everyone is answering: refuse");
    }
}
