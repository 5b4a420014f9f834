//! The HTTP side: `/metrics`, `/probe?target=NAME`, a small index page and `/-/healthy`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use futures_util::StreamExt;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};

use crate::metrics::{self, RouterSlot};

/// A response body: a whole text, or the exposition streamed one family at a time.
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// What the HTTP handlers read: every router of this exporter, and an index by name.
#[derive(Debug, Clone)]
pub struct Site {
    routers: Arc<Vec<Arc<RouterSlot>>>,
    by_name: Arc<HashMap<String, Arc<RouterSlot>>>,
}

impl Site {
    /// A site over `routers`.
    pub fn new(routers: Arc<Vec<Arc<RouterSlot>>>) -> Self {
        let by_name = routers
            .iter()
            .map(|r| (r.name.clone(), r.clone()))
            .collect();
        Self {
            routers,
            by_name: Arc::new(by_name),
        }
    }

    /// Answers one request.
    pub fn handle(&self, method: &Method, path: &str, query: Option<&str>) -> Response<Body> {
        if method != Method::GET && method != Method::HEAD {
            return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n".into());
        }
        match path {
            "/metrics" => openmetrics(self.routers.clone()),
            "/probe" => {
                let Some(target) = query.and_then(|q| query_param(q, "target")) else {
                    return text(StatusCode::BAD_REQUEST, "probe needs ?target=NAME\n".into());
                };
                match self.by_name.get(&target) {
                    Some(slot) => openmetrics(Arc::new(vec![slot.clone()])),
                    None => text(
                        StatusCode::NOT_FOUND,
                        format!("no router named {} in this exporter's configuration (or shard)\n", target.escape_debug()),
                    ),
                }
            }
            "/-/healthy" => text(StatusCode::OK, "OK\n".into()),
            "/" => text(
                StatusCode::OK,
                format!(
                    "routeros-exporter: {} routers\n/metrics      every router\n/probe?target=NAME  one router\n",
                    self.routers.len()
                ),
            ),
            _ => text(StatusCode::NOT_FOUND, "not found\n".into()),
        }
    }
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body)).boxed_unsync());
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The exposition of `routers`, each family encoded only when the previous one was sent.
fn openmetrics(routers: Arc<Vec<Arc<RouterSlot>>>) -> Response<Body> {
    let frames = futures_util::stream::iter(metrics::chunks(routers))
        .map(|chunk| Ok::<_, Infallible>(Frame::data(Bytes::from(chunk))));
    let mut r = Response::new(StreamBody::new(frames).boxed_unsync());
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(metrics::CONTENT_TYPE),
    );
    r
}

/// The value of `key` in a query string, percent-decoded (`+` is a space). Invalid escapes
/// or non-UTF-8 results give `None`.
pub fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k)? == key)
            .then(|| percent_decode(v))
            .flatten()
    })
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Serves HTTP/1 on `sock` until the peer closes.
pub async fn serve_connection(sock: tokio::net::TcpStream, site: Site) {
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let site = site.clone();
        async move {
            let uri = req.uri();
            Ok::<_, Infallible>(site.handle(req.method(), uri.path(), uri.query()))
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(sock), service)
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries() {
        assert_eq!(
            query_param("target=core-1", "target").as_deref(),
            Some("core-1")
        );
        assert_eq!(
            query_param("a=1&target=a%20b+c", "target").as_deref(),
            Some("a b c")
        );
        assert_eq!(query_param("target=%zz", "target"), None);
        assert_eq!(query_param("target=%e9", "target"), None);
        assert_eq!(query_param("other=1", "target"), None);
        assert_eq!(query_param("target=%", "target"), None);
    }

    #[test]
    fn routes() {
        let a = Arc::new(RouterSlot::new("a".into(), vec![]));
        let site = Site::new(Arc::new(vec![a]));
        let r = site.handle(&Method::GET, "/probe", Some("target=a"));
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            site.handle(&Method::GET, "/probe", Some("target=b"))
                .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            site.handle(&Method::GET, "/probe", None).status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            site.handle(&Method::POST, "/metrics", None).status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            site.handle(&Method::GET, "/nope", None).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            site.handle(&Method::GET, "/metrics", None).status(),
            StatusCode::OK
        );
    }
}
