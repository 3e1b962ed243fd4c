//! The built web page (`--web-dir`), served from the same origin as the API so the page
//! needs no CORS: `GET /` is `index.html`, other files by their name. No directory
//! listing, nothing outside the directory (no `..`, no hidden files, symlinks resolved and
//! checked), a content type per extension and short cache lifetimes. `GET /config.json`
//! tells the page the other gateways it may use (`--web-peers`) unless the directory has
//! its own.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the static handler serves.
#[derive(Debug)]
pub struct WebRoot {
    /// Canonical directory.
    root: PathBuf,
    /// Body of `/config.json` when the directory has none.
    config: String,
}

/// The directory cannot be served.
#[derive(Debug, thiserror::Error)]
#[error("--web-dir {path}: {source}")]
pub struct WebDirError {
    path: String,
    source: std::io::Error,
}

impl WebRoot {
    /// `dir` must exist (it is resolved once, at start). `peers` are other gateways' base URLs.
    pub fn new(dir: &Path, peers: &[String]) -> Result<Self, WebDirError> {
        let root = dir.canonicalize().map_err(|source| WebDirError { path: dir.display().to_string(), source })?;
        if !root.is_dir() {
            let source = std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory");
            return Err(WebDirError { path: dir.display().to_string(), source });
        }
        let peers: Vec<&str> = peers.iter().map(|p| p.trim().trim_end_matches('/')).filter(|p| !p.is_empty()).collect();
        let config = serde_json::json!({ "gateways": peers }).to_string();
        Ok(Self { root, config })
    }

    /// The file a request path names, if it may be served: plain segments of
    /// `[A-Za-z0-9._-]` not starting with a dot, resolved inside the root, a regular file.
    pub fn resolve(&self, path: &str) -> Option<PathBuf> {
        let rel = path.strip_prefix('/')?;
        let rel = if rel.is_empty() { "index.html" } else { rel };
        let plain = |s: &str| {
            !s.is_empty() && !s.starts_with('.') && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        };
        if !rel.split('/').all(plain) {
            return None;
        }
        let file = self.root.join(rel).canonicalize().ok()?;
        (file.starts_with(&self.root) && file.is_file()).then_some(file)
    }
}

/// The content type of a file, by its extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// The router's fallback: every GET/HEAD the API does not answer.
pub async fn serve(State(web): State<Arc<WebRoot>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET, HEAD")]).into_response();
    }
    let path = uri.path();
    let Some(file) = web.resolve(path) else {
        if path == "/config.json" {
            return respond(&method, "application/json", "no-cache", web.config.clone().into_bytes());
        }
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    match tokio::fs::read(&file).await {
        // The page itself is revalidated every time; the files it loads may be reused briefly.
        Ok(bytes) => {
            let cache = if content_type(&file).starts_with("text/html") { "no-cache" } else { "public, max-age=60" };
            respond(&method, content_type(&file), cache, bytes)
        }
        Err(_) => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

fn respond(method: &Method, content_type: &'static str, cache: &'static str, bytes: Vec<u8>) -> Response {
    let len = bytes.len();
    let body = if *method == Method::HEAD { Body::empty() } else { Body::from(bytes) };
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// The routes of the page, to merge under the API (they only answer what nothing else does).
pub fn router(web: Arc<WebRoot>) -> axum::Router {
    axum::Router::new().fallback(serve).with_state(web)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A directory with a page, a script, a hidden file and a secret next to it (outside).
    fn site() -> (PathBuf, PathBuf) {
        let base = std::env::temp_dir().join(format!("orrery-web-{:08x}", rand::random::<u32>()));
        let dir = base.join("dist");
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><title>arena</title>").unwrap();
        std::fs::write(dir.join("app.js"), "console.log(1)").unwrap();
        std::fs::write(dir.join("assets").join("style.css"), "body{}").unwrap();
        std::fs::write(dir.join(".env"), "SECRET=1").unwrap();
        std::fs::write(base.join("secret.txt"), "outside").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(base.join("secret.txt"), dir.join("link.txt")).unwrap();
        (base, dir)
    }

    /// A raw HTTP/1.0 request line, exactly as written (no client-side normalisation).
    async fn get(addr: std::net::SocketAddr, method: &str, target: &str) -> (u16, String, String) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("{method} {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw).to_string();
        let status = text[9..12].parse().unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        (status, head.to_ascii_lowercase(), body.to_owned())
    }

    async fn serve_site(peers: &[String]) -> (std::net::SocketAddr, PathBuf) {
        let (base, dir) = site();
        let web = Arc::new(WebRoot::new(&dir, peers).unwrap());
        let app = axum::Router::new().route("/v1/api", axum::routing::get(|| async { "api" })).merge(router(web));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (addr, base)
    }

    #[tokio::test]
    async fn serves_the_page_with_types_and_cache_headers_and_leaves_the_api_alone() {
        let (addr, base) = serve_site(&["http://127.0.0.1:8081/".into()]).await;
        let (status, head, body) = get(addr, "GET", "/").await;
        assert_eq!(status, 200);
        assert!(head.contains("content-type: text/html; charset=utf-8"), "{head}");
        assert!(head.contains("cache-control: no-cache"), "{head}");
        assert!(body.contains("<title>arena</title>"));
        let (status, head, body) = get(addr, "GET", "/app.js").await;
        assert_eq!((status, body.as_str()), (200, "console.log(1)"));
        assert!(head.contains("content-type: text/javascript"), "{head}");
        assert!(head.contains("cache-control: public, max-age=60"), "{head}");
        assert!(head.contains("x-content-type-options: nosniff"), "{head}");
        let (status, head, _) = get(addr, "GET", "/assets/style.css").await;
        assert_eq!(status, 200);
        assert!(head.contains("content-type: text/css"), "{head}");
        let (status, head, body) = get(addr, "HEAD", "/app.js").await;
        assert_eq!((status, body.as_str()), (200, ""));
        assert!(head.contains("content-length: 14"), "{head}");
        assert_eq!(get(addr, "GET", "/v1/api").await.2, "api");
        let (status, _, body) = get(addr, "GET", "/config.json").await;
        assert_eq!(status, 200);
        assert_eq!(body, r#"{"gateways":["http://127.0.0.1:8081"]}"#);
        assert_eq!(get(addr, "POST", "/app.js").await.0, 405);
        std::fs::remove_dir_all(base).unwrap();
    }

    #[tokio::test]
    async fn lists_no_directory_and_never_leaves_the_root() {
        let (addr, base) = serve_site(&[]).await;
        for target in [
            "/assets",
            "/assets/",
            "/missing.js",
            "/../secret.txt",
            "/assets/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E%2Fsecret.txt",
            "/..%2fsecret.txt",
            "/assets/..%5c..%5csecret.txt",
            "/.env",
            "/link.txt",
            "//etc/passwd",
            "/index.html%00.js",
        ] {
            let (status, _, body) = get(addr, "GET", target).await;
            assert_eq!(status, 404, "{target} answered {status}");
            assert!(!body.contains("outside") && !body.contains("SECRET"), "{target} leaked {body}");
        }
        std::fs::remove_dir_all(base).unwrap();
    }

    #[test]
    fn a_missing_directory_is_a_configuration_error() {
        assert!(WebRoot::new(Path::new("/nonexistent/orrery-web"), &[]).is_err());
    }
}
