//! A TCP proxy in front of a real server that a test can freeze: connections stay open and
//! nothing more is forwarded, as when the server process is stopped (SIGSTOP), a network partition
//! swallows packets, or a load balancer stalls. Thawing lets the bytes through again. Cutting is a
//! restart as clients see it: every connection is closed and new ones are closed at once, until
//! restored.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct Proxy {
    pub port: u16,
    frozen: Arc<AtomicBool>,
    down: Arc<AtomicBool>,
    /// The copying tasks of open connections, aborted (their sockets closed) by a cut.
    pipes: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free local port and forwards each connection to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
        let port = listener.local_addr().expect("local address").port();
        let frozen = Arc::new(AtomicBool::new(false));
        let down = Arc::new(AtomicBool::new(false));
        let pipes: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (upstream, flag, cut, open) = (upstream.to_string(), frozen.clone(), down.clone(), pipes.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if cut.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let (upstream, flag, open) = (upstream.clone(), flag.clone(), open.clone());
                tokio::spawn(async move {
                    thawed(&flag).await;
                    let Ok(server) = TcpStream::connect(&upstream).await else { return };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    let up = tokio::spawn(pipe(client_read, server_write, flag.clone()));
                    let back = tokio::spawn(pipe(server_read, client_write, flag));
                    if let Ok(mut open) = open.lock() {
                        open.extend([up.abort_handle(), back.abort_handle()]);
                    }
                });
            }
        });
        Proxy { port, frozen, down, pipes, task }
    }

    /// Closes every connection and, until [`Proxy::restore`], every new one at once.
    pub fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        if let Ok(mut open) = self.pipes.lock() {
            open.drain(..).for_each(|pipe| pipe.abort());
        }
    }

    pub fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    /// Stops forwarding; every connection stays open and silent.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    pub fn thaw(&self) {
        self.frozen.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn thawed(frozen: &AtomicBool) {
    while frozen.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Copies one direction, holding each chunk while the proxy is frozen.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<AtomicBool>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        thawed(&frozen).await;
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        thawed(&frozen).await;
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
