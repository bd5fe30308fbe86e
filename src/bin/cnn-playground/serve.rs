//! `cnn-playground serve`: a small static file server for the page, on loopback only.
//!
//! It sends what a static host must for this page: the `application/wasm` type (streaming
//! compilation needs it) and cross-origin isolation (`COOP: same-origin`, `COEP: require-corp`),
//! which wasm threads need. Ctrl-C stops it (the default signal action: nothing to flush).

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

pub fn serve(root: &Path, host: &str, port: u16) -> Result<(), String> {
    if !root.join("index.html").is_file() {
        return Err(format!("{} has no index.html", root.display()));
    }
    let listener = TcpListener::bind((host, port)).map_err(|e| {
        format!("cannot listen on {host}:{port}: {e} (is another server on that port? try --port)")
    })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!(
        "serving {} at http://{addr}/  (Ctrl-C stops)",
        root.display()
    );
    for stream in listener.incoming().flatten() {
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            // A client that hangs up mid-answer is not the server's problem.
            let _ = handle(stream, &root);
        });
    }
    Ok(())
}

fn handle(stream: TcpStream, root: &Path) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Skip the headers: nothing in them changes the answer.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let mut out = stream;
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut out,
            "405 Method Not Allowed",
            "text/plain",
            b"GET or HEAD only\n",
            method,
        );
    }
    let Some(path) = resolve(root, target) else {
        return respond(
            &mut out,
            "400 Bad Request",
            "text/plain",
            b"bad path\n",
            method,
        );
    };
    match std::fs::File::open(&path) {
        Ok(mut file) if path.is_file() => {
            let len = file.metadata()?.len();
            write!(
                out,
                "HTTP/1.1 200 OK\r\n{}Content-Type: {}\r\nContent-Length: {len}\r\n\r\n",
                HEADERS,
                mime(&path)
            )?;
            if method == "GET" {
                io::copy(&mut file, &mut out)?;
            }
            out.flush()
        }
        _ => respond(
            &mut out,
            "404 Not Found",
            "text/plain",
            b"not found\n",
            method,
        ),
    }
}

const HEADERS: &str = "Connection: close\r\n\
    Cache-Control: no-cache\r\n\
    X-Content-Type-Options: nosniff\r\n\
    Cross-Origin-Opener-Policy: same-origin\r\n\
    Cross-Origin-Embedder-Policy: require-corp\r\n\
    Cross-Origin-Resource-Policy: same-origin\r\n";

fn respond(
    out: &mut TcpStream,
    status: &str,
    mime: &str,
    body: &[u8],
    method: &str,
) -> io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status}\r\n{HEADERS}Content-Type: {mime}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    if method == "GET" {
        out.write_all(body)?;
    }
    out.flush()
}

/// The file a request target names under `root`: query dropped, percent-escapes decoded, `..`
/// refused, a folder meaning its index.html.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let decoded = percent_decode(path)?;
    let mut full = root.to_path_buf();
    for c in Path::new(&decoded).components() {
        match c {
            Component::Normal(part) => full.push(part),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    if full.is_dir() {
        full.push("index.html");
    }
    Some(full)
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

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "gz" => "application/gzip",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_refuses_escapes_and_decodes() {
        let root = Path::new("/srv");
        assert_eq!(
            resolve(root, "/a%20b.js?x=1"),
            Some(PathBuf::from("/srv/a b.js"))
        );
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/x/%2e%2e/%2e%2e/etc"), None);
        assert_eq!(resolve(root, "/bad%zz"), None);
    }
}
