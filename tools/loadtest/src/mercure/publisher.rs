//! Publishing and reading `/metrics` over hyper's HTTP/1.1 client: one keep-alive connection
//! per [`Publisher`], one request at a time.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One update to publish: its topic, its data, and whether it is private.
pub struct Update {
    /// The topic (one).
    pub topic: String,
    /// The data (one line).
    pub data: String,
    /// `private=on`.
    pub private: bool,
}

/// A keep-alive connection to the hub.
pub struct Publisher {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Publisher {
    /// Connects to the hub at `addr`.
    pub async fn connect(addr: SocketAddr) -> Result<Publisher, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("publisher connecting to {addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("publisher handshake: {e}"))?;
        tokio::spawn(connection);
        Ok(Publisher {
            sender,
            host: addr.to_string(),
        })
    }

    /// GETs `path`; the body as text, or the status when it is not 200.
    pub async fn get(&mut self, path: &str) -> Result<String, String> {
        let request = Request::builder()
            .method(Method::GET)
            .uri(path)
            .header("host", &self.host)
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())?;
        self.send(request).await
    }

    /// POSTs `update` to the hub with the publisher `token`; the update's id.
    pub async fn publish(&mut self, token: &str, update: &Update) -> Result<String, String> {
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("topic", &update.topic);
            form.append_pair("data", &update.data);
            if update.private {
                form.append_pair("private", "on");
            }
            form.finish()
        };
        let request = Request::builder()
            .method(Method::POST)
            .uri("/.well-known/mercure")
            .header("host", &self.host)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        self.send(request).await
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<String, String> {
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection to the hub: {e}"))?;
        let what = format!("{} {}", request.method(), request.uri());
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| format!("{what}: {e}"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{what}: reading the body: {e}"))?
            .to_bytes();
        let body = String::from_utf8_lossy(&body).into_owned();
        if status != hyper::StatusCode::OK {
            return Err(format!("{what}: {status} {}", body.trim()));
        }
        Ok(body)
    }
}
