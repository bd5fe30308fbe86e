//! `cnn-playground serve`: the site (`dist/`, scripts/build-site.sh) over HTTP, on loopback
//! unless asked otherwise, for development and the tests.
//!
//! HTTP is hyper's and the files are tower-http's `ServeDir` (types, HEAD, ranges,
//! `If-Modified-Since`, precompressed `.gz` files); this file adds what this page and a hostile
//! client need on top: cross-origin isolation (COOP, COEP) and the page's own Content-Security-
//! Policy as headers, so workers get them too; weak ETags; caching for ever of the content-hashed
//! files; a `Host` check (against DNS rebinding); no dotfiles, no path outside the root, symlinks
//! included; and bounds on every client: the request head's size, the time to send it, the time
//! a response may go untaken, a connection's life, and how many connections are kept at once —
//! past that, a new client is served in the place of the one that has gone longest without
//! progress (an idle one, or one that stopped reading), so a crowd of idle or non-reading
//! clients cannot keep anyone else waiting.

/// `serve`'s options.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// The built site's folder
    #[arg(long, value_name = "DIR", default_value = "dist")]
    pub root: String,
    /// The address to listen on: loopback unless another is asked for
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
}

use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, UNIX_EPOCH};
use tokio::sync::Notify;
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// Connections kept at once; past it, the one that has gone longest without progress is closed
/// to make room for the new one.
const MAX_CONNECTIONS: usize = 256;
/// Time a response may go with none of it taken by the client: one that stops reading is let go.
const SEND_STALL: Duration = Duration::from_secs(30);
/// The request line and headers, at most (hyper answers 431 beyond).
const MAX_HEAD: usize = 64 * 1024;
/// Time a client has to send a request's head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection's whole life: long enough for MNIST over a slow link, not for ever.
const CONNECTION_LIFE: Duration = Duration::from_secs(600);

type Body = UnsyncBoxBody<Bytes, std::io::Error>;

pub fn serve(root: &Path, host: &str, port: u16) -> Result<(), String> {
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let index = std::fs::read_to_string(root.join("index.html")).map_err(|_| {
        format!(
            "{} has no index.html (build the site with scripts/build-site.sh)",
            root.display()
        )
    })?;
    let ip: IpAddr = match host {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        other => other.parse().map_err(|_| {
            format!("--host: '{other}' is not an IP address (127.0.0.1, ::1, 0.0.0.0…)")
        })?,
    };
    if !ip.is_loopback() {
        eprintln!(
            "warning: serving on {ip}: other machines can reach this server. It is made for \
             development; publish the site on a static host instead (scripts/build-site.sh)."
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, port))
            .await
            .map_err(|e| {
                format!("cannot listen on {host}:{port}: {e} (is another server on that port? try --port)")
            })?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("serving {} at http://{addr}/  (Ctrl-C stops)", root.display());
        let site = Arc::new(Site {
            csp: page_csp(&index),
            hosts: allowed_hosts(addr, host),
            files: ServeDir::new(&root)
                .precompressed_gzip()
                .append_index_html_on_directories(true),
            root,
        });
        accept(listener, site).await;
        Ok(())
    })
}

/// Serves connections for ever, keeping at most [`MAX_CONNECTIONS`].
async fn accept(listener: tokio::net::TcpListener, site: Arc<Site>) {
    let connections = Arc::new(Connections::new());
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors, say: wait a moment rather than spin.
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (id, progress) = connections.open();
        let site = site.clone();
        let connections = connections.clone();
        tokio::spawn(async move {
            let watched = progress.clone();
            let service = service_fn(move |req| {
                let site = site.clone();
                let progress = watched.clone();
                async move {
                    progress.touch();
                    let res = site.answer(req).await.map(|body| {
                        Watched {
                            body,
                            progress: progress.clone(),
                        }
                        .boxed_unsync()
                    });
                    Ok::<_, Infallible>(res)
                }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .max_buf_size(MAX_HEAD)
                .serve_connection(TokioIo::new(stream), service);
            // A client that hangs up, stalls or errs costs its own connection only; dropping the
            // connection closes it.
            tokio::select! {
                _ = connection => {}
                _ = progress.closed.notified() => {}
                _ = progress.stalled() => {}
                _ = tokio::time::sleep(CONNECTION_LIFE) => {}
            }
            connections.close(id);
        });
    }
}

/// The connections kept, each with the time of its last progress.
struct Connections {
    open: Mutex<HashMap<u64, Arc<Progress>>>,
    next: AtomicU64,
    /// What every connection's progress is timed from.
    epoch: Instant,
}

impl Connections {
    fn new() -> Self {
        Connections {
            open: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// Keeps a new connection, closing the one longest without progress if the server is full.
    fn open(&self) -> (u64, Arc<Progress>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let progress = Arc::new(Progress::new(self.epoch));
        let mut open = self.open.lock().expect("never poisoned");
        if open.len() >= MAX_CONNECTIONS {
            let (&oldest, _) = open
                .iter()
                .min_by_key(|(_, p)| p.at.load(Ordering::Relaxed))
                .expect("full");
            let evicted = open.remove(&oldest).expect("present");
            evicted.closed.notify_one();
        }
        open.insert(id, progress.clone());
        (id, progress)
    }

    fn close(&self, id: u64) {
        self.open.lock().expect("never poisoned").remove(&id);
    }
}

/// When a connection last moved: opened, a request read, part of a response taken.
struct Progress {
    epoch: Instant,
    /// Milliseconds from `epoch`.
    at: AtomicU64,
    /// Told when the server closes the connection to make room.
    closed: Notify,
}

impl Progress {
    fn new(epoch: Instant) -> Self {
        let progress = Progress {
            epoch,
            at: AtomicU64::new(0),
            closed: Notify::new(),
        };
        progress.touch();
        progress
    }

    fn touch(&self) {
        self.at
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Resolves once the connection has gone [`SEND_STALL`] without progress.
    async fn stalled(&self) {
        loop {
            let last = Duration::from_millis(self.at.load(Ordering::Relaxed));
            let idle = self.epoch.elapsed().saturating_sub(last);
            if idle >= SEND_STALL {
                return;
            }
            tokio::time::sleep(SEND_STALL - idle).await;
        }
    }
}

/// A response's body that marks its connection's progress each time the client takes a part:
/// hyper asks for the next part only when the last has gone out.
struct Watched {
    body: Body,
    progress: Arc<Progress>,
}

impl hyper::body::Body for Watched {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        let frame = Pin::new(&mut self.body).poll_frame(cx);
        if frame.is_ready() {
            self.progress.touch();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

struct Site {
    root: PathBuf,
    files: ServeDir,
    /// The page's Content-Security-Policy, from its `<meta>`: sent as a header as well.
    csp: Option<HeaderValue>,
    /// The `Host` values this server answers to.
    hosts: Vec<String>,
}

impl Site {
    async fn answer(&self, req: Request<Incoming>) -> Response<Body> {
        let mut res = self.route(req).await;
        let h = res.headers_mut();
        for (name, value) in [
            ("cross-origin-opener-policy", "same-origin"),
            ("cross-origin-embedder-policy", "require-corp"),
            ("cross-origin-resource-policy", "same-origin"),
            ("x-content-type-options", "nosniff"),
        ] {
            h.insert(name, HeaderValue::from_static(value));
        }
        if let Some(csp) = &self.csp {
            h.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
        }
        res
    }

    async fn route(&self, req: Request<Incoming>) -> Response<Body> {
        if !matches!(*req.method(), Method::GET | Method::HEAD) {
            let mut res = plain(StatusCode::METHOD_NOT_ALLOWED, "GET or HEAD only\n");
            res.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return res;
        }
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        if !host.is_some_and(|h| self.hosts.iter().any(|a| a.eq_ignore_ascii_case(h))) {
            // A page on another name that resolves here (DNS rebinding) gets nothing.
            return plain(StatusCode::MISDIRECTED_REQUEST, "unknown host\n");
        }
        let Some(file) = self.file(req.uri().path()) else {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        };
        let etag = etag(&file);
        if let Some(tag) = &etag {
            if matches(req.headers(), tag) {
                let mut res = empty(StatusCode::NOT_MODIFIED);
                res.headers_mut().insert(header::ETAG, tag.clone());
                return res;
            }
        }
        let res = match self.files.clone().oneshot(req).await {
            Ok(res) => res.map(|b| b.boxed_unsync()),
            Err(never) => match never {},
        };
        let (mut parts, body) = res.into_parts();
        if parts.status.is_success() {
            if let Some(tag) = etag {
                parts.headers.insert(header::ETAG, tag);
            }
            // Content-hashed names (cnn_playground_bg.0123456789ab.wasm) never change.
            let cache = if hashed(&file) {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            parts
                .headers
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        }
        Response::from_parts(parts, body)
    }

    /// The file a request path names, when it is one this server gives: below the root once
    /// symlinks are followed, no segment hidden (`.git`, `..`) or naming a drive or another
    /// separator (`C:`, `a\b`).
    fn file(&self, path: &str) -> Option<PathBuf> {
        let decoded = percent_decode(path)?;
        let mut full = self.root.clone();
        for segment in decoded.split('/').filter(|s| !s.is_empty()) {
            if segment.starts_with('.') || segment.contains([':', '\\']) {
                return None;
            }
            full.push(segment);
        }
        let mut full = full.canonicalize().ok()?;
        if full.is_dir() {
            full = full.join("index.html").canonicalize().ok()?;
        }
        (full.starts_with(&self.root) && full.is_file()).then_some(full)
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut res = Response::new(
        Full::new(Bytes::from_static(text.as_bytes()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

fn empty(status: StatusCode) -> Response<Body> {
    let mut res = Response::new(
        Full::new(Bytes::new())
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *res.status_mut() = status;
    res
}

/// A weak validator from the file's size and time: the same for its gzip twin, which holds the
/// same content.
fn etag(file: &Path) -> Option<HeaderValue> {
    let meta = std::fs::metadata(file).ok()?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    HeaderValue::from_str(&format!("W/\"{:x}-{:x}\"", meta.len(), modified.as_nanos())).ok()
}

/// Whether `If-None-Match` names `tag` (or is `*`).
fn matches(headers: &HeaderMap, tag: &HeaderValue) -> bool {
    let tag = tag.to_str().unwrap_or("");
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || bare(t) == bare(tag))
}

/// `name.0123456789ab.ext`: the site build's content-hashed names.
fn hashed(file: &Path) -> bool {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.split('.')
        .any(|part| part.len() == 12 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `Host` values a browser sends for this address: the name it was asked for and loopback's.
fn allowed_hosts(addr: SocketAddr, host: &str) -> Vec<String> {
    let port = addr.port();
    let mut hosts = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        match addr.ip() {
            IpAddr::V6(ip) => format!("[{ip}]:{port}"),
            IpAddr::V4(ip) => format!("{ip}:{port}"),
        },
    ];
    if host != "0.0.0.0" && host != "::" {
        hosts.push(format!("{host}:{port}"));
    }
    hosts
}

/// The page's `<meta http-equiv="Content-Security-Policy" content="…">`.
fn page_csp(index: &str) -> Option<HeaderValue> {
    let at = index.find("http-equiv=\"Content-Security-Policy\"")?;
    let rest = &index[at..];
    let start = rest.find("content=\"")? + "content=\"".len();
    let end = rest[start..].find('"')?;
    HeaderValue::from_str(&rest[start..start + end]).ok()
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().filter(|s| !s.contains('\0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pages_csp_is_read_from_its_meta() {
        let index = r#"<meta http-equiv="Content-Security-Policy"
            content="default-src 'self'; object-src 'none'">"#;
        assert_eq!(
            page_csp(index).unwrap(),
            "default-src 'self'; object-src 'none'"
        );
        assert!(hashed(Path::new("a/cnn_playground_bg.2de18cb03ca8.wasm")));
        assert!(!hashed(Path::new("js/main.js")));
    }
}
