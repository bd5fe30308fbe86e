//! `cnn-playground serve` as a hostile client meets it: paths that try to leave the root
//! (encoded `..`, backslashes, drive prefixes, symlinks), dotfiles, a foreign `Host`, a huge
//! request head, a crowd of idle connections and one of clients that ask for a large file and
//! never read it; and as a browser needs it: types, isolation and
//! CSP headers, HEAD, ETag and 304, precompressed files, caching of content-hashed names.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A site with a page, a hashed wasm, a precompressed script, dotfiles and symlinks, served.
fn server(name: &str) -> Server {
    let dir = std::env::temp_dir().join(format!("cnn-serve-{name}-{}", std::process::id()));
    let site = dir.join("site");
    std::fs::create_dir_all(site.join(".git")).unwrap();
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(
        site.join("index.html"),
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'\"><p>page</p>",
    )
    .unwrap();
    std::fs::write(site.join("pkg/core.0123456789ab.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(site.join("app.js"), "console.log('app');\n".repeat(50)).unwrap();
    let mut gz = std::fs::File::create(site.join("app.js.gz")).unwrap();
    gz.write_all(b"\x1f\x8bGZIPPED").unwrap();
    std::fs::write(site.join(".env"), "SECRET=dotfile").unwrap();
    std::fs::write(site.join(".git/config"), "SECRET=git").unwrap();
    std::fs::write(dir.join("secret.txt"), "SECRET=outside").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.join("secret.txt"), site.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(site.join("app.js"), site.join("inside.js")).unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_cnn-playground"))
        .args(["serve", "--root", site.to_str().unwrap(), "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8];
    while out.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    let line = String::from_utf8(line).unwrap();
    let port = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in: {line}"));
    Server { child, port, dir }
}

/// A raw request, sent as written; the whole answer back (the server closes after it).
fn raw(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn get(port: u16, path: &str, headers: &str) -> String {
    raw(
        port,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{headers}\r\n"
        ),
    )
}

fn status(answer: &str) -> &str {
    answer.split_whitespace().nth(1).unwrap_or("none")
}

fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    answer
        .split("\r\n\r\n")
        .next()?
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        })
        .map(|(_, v)| v.trim())
}

#[test]
fn paths_outside_the_root_and_hidden_files_are_never_served() {
    let s = server("paths");
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%5csecret.txt",
        "/pkg/..%5c..%5csecret.txt",
        "/C:/secret.txt",
        "/c:%5csecret.txt",
        "/.env",
        "/.git/config",
        "/%2egit/config",
        "/link.txt",
        "/app.js%00.html",
    ] {
        let answer = get(s.port, path, "");
        assert!(
            matches!(status(&answer), "400" | "404"),
            "{path}: {}",
            answer.lines().next().unwrap_or("")
        );
        assert!(!answer.contains("SECRET"), "{path} leaked: {answer}");
    }
    // A symlink that stays inside the root is followed.
    #[cfg(unix)]
    assert_eq!(status(&get(s.port, "/inside.js", "")), "200");
}

#[test]
fn a_page_on_another_host_name_gets_nothing() {
    let s = server("host");
    for host in ["evil.example", "evil.example:80", "127.0.0.1:1"] {
        let answer = raw(
            s.port,
            &format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        );
        assert_eq!(status(&answer), "421", "{host}");
        assert!(!answer.contains("page"));
    }
    let answer = raw(
        s.port,
        &format!(
            "GET / HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
            s.port
        ),
    );
    assert_eq!(status(&answer), "200");
}

#[test]
fn the_headers_the_page_needs_with_etags_and_compression() {
    let s = server("headers");
    let page = get(s.port, "/", "");
    assert_eq!(status(&page), "200");
    assert_eq!(
        header(&page, "cross-origin-opener-policy"),
        Some("same-origin")
    );
    assert_eq!(
        header(&page, "cross-origin-embedder-policy"),
        Some("require-corp")
    );
    assert_eq!(
        header(&page, "content-security-policy"),
        Some("default-src 'self'")
    );
    assert!(header(&page, "content-type")
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(header(&page, "cache-control"), Some("no-cache"));
    // ETag, then 304 for the same.
    let tag = header(&page, "etag").expect("an ETag").to_string();
    let again = get(s.port, "/", &format!("If-None-Match: {tag}\r\n"));
    assert_eq!(status(&again), "304");
    assert!(!again.contains("<p>page"));
    // A content-hashed file: its type, and cached for ever.
    let wasm = get(s.port, "/pkg/core.0123456789ab.wasm", "");
    assert_eq!(header(&wasm, "content-type"), Some("application/wasm"));
    assert!(header(&wasm, "cache-control")
        .unwrap()
        .contains("immutable"));
    // HEAD: the length, no body.
    let head = raw(
        s.port,
        &format!(
            "HEAD /app.js HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            s.port
        ),
    );
    assert_eq!(status(&head), "200");
    assert_eq!(header(&head, "content-length"), Some("1000"));
    assert!(head.ends_with("\r\n\r\n"), "no body: {head:?}");
    // The precompressed twin, to a client that takes gzip.
    let gz = get(s.port, "/app.js", "Accept-Encoding: gzip\r\n");
    assert_eq!(header(&gz, "content-encoding"), Some("gzip"));
    assert!(gz.contains("GZIPPED"));
    // Other methods are refused.
    let post = raw(s.port, &format!("POST / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", s.port));
    assert_eq!(status(&post), "405");
}

#[test]
fn a_huge_head_and_a_crowd_of_idle_connections_leave_it_serving() {
    let s = server("bounds");
    // A request line of 1 MB: refused, not held.
    let huge = format!(
        "GET /{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
        "a".repeat(1 << 20),
        s.port
    );
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = c.write_all(huge.as_bytes());
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    let answer = String::from_utf8_lossy(&out);
    assert!(
        answer.is_empty() || matches!(status(&answer), "431" | "400" | "414"),
        "{answer}"
    );
    // A hundred clients that connect and say nothing: a new one is still answered.
    let idle: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(("127.0.0.1", s.port)).unwrap())
        .collect();
    let start = std::time::Instant::now();
    assert_eq!(status(&get(s.port, "/", "")), "200");
    assert!(start.elapsed() < Duration::from_secs(5));
    drop(idle);
}

#[test]
fn idle_and_non_reading_clients_leave_room_for_a_normal_request() {
    let s = server("crowd");
    std::fs::write(s.dir.join("site/large.bin"), vec![7u8; 16 << 20]).unwrap();
    // 300 clients that connect and say nothing, more than the server keeps at once.
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(("127.0.0.1", s.port)).unwrap())
        .collect();
    // 256 that ask for 16 MB and never read a byte of it: each response stalls once the
    // sockets' buffers are full.
    let request = format!(
        "GET /large.bin HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
        s.port
    );
    let stalled: Vec<TcpStream> = (0..256)
        .filter_map(|_| {
            let mut c = TcpStream::connect(("127.0.0.1", s.port)).ok()?;
            c.write_all(request.as_bytes()).ok()?;
            Some(c)
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // A normal request is answered at once, in the place of the client longest without progress.
    for _ in 0..3 {
        let start = std::time::Instant::now();
        let answer = get(s.port, "/", "");
        let took = start.elapsed();
        println!("a normal request beside the crowd: {took:?}");
        assert_eq!(status(&answer), "200", "{answer}");
        assert!(
            took < Duration::from_secs(1),
            "served after {took:?} beside 300 idle and 256 non-reading clients"
        );
    }
    drop((idle, stalled));
}

#[test]
fn a_non_loopback_address_is_served_only_with_a_warning() {
    let dir = std::env::temp_dir().join(format!("cnn-serve-warn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<p>page</p>").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cnn-playground"))
        .args([
            "serve",
            "--root",
            dir.to_str().unwrap(),
            "--host",
            "0.0.0.0",
            "--port",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: serving on 0.0.0.0: other machines can reach"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let missing = Command::new(env!("CARGO_BIN_EXE_cnn-playground"))
        .args([
            "serve",
            "--root",
            Path::new("/nonexistent-site").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}
