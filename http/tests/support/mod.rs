//! A scripted HTTP server on 127.0.0.1: each accepted connection gets the next scripted reply,
//! raw bytes written as given, and every request head is recorded for the test to inspect.

#![allow(dead_code)]

#[cfg(feature = "rustls")]
pub mod tls;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One reply: written in pieces (with a short pause between), then the connection closes,
/// unless `hold` keeps it open silently.
#[derive(Clone, Debug)]
pub struct Reply {
    pub pieces: Vec<Vec<u8>>,
    pub hold: bool,
}

impl Reply {
    /// A complete response with this status line, content type and body, closed after.
    pub fn new(status: &str, content_type: Option<&str>, body: &[u8]) -> Reply {
        let mut head = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
        if let Some(t) = content_type {
            head.push_str(&format!("content-type: {t}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        Reply {
            pieces: vec![bytes],
            hold: false,
        }
    }

    /// `200 text/event-stream` with `body`.
    pub fn events(body: &[u8]) -> Reply {
        Reply::new("200 OK", Some("text/event-stream"), body)
    }

    /// A redirect to `location`.
    pub fn redirect(status: &str, location: &str) -> Reply {
        let head = format!(
            "HTTP/1.1 {status}\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
        Reply {
            pieces: vec![head.into_bytes()],
            hold: false,
        }
    }

    /// Keeps the connection open after writing, without sending anything more.
    pub fn held(mut self) -> Reply {
        self.hold = true;
        self
    }
}

/// The requests received so far, in order: each one's head and body.
#[derive(Clone, Default)]
pub struct Requests(Arc<Mutex<Vec<String>>>, Arc<Mutex<Vec<Vec<u8>>>>);

impl Requests {
    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The value of `name` (lowercase) in request `i`, if sent.
    pub fn header(&self, i: usize, name: &str) -> Option<String> {
        let all = self.all();
        all[i].lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The body of request `i` (read by its `content-length`).
    pub fn body(&self, i: usize) -> Vec<u8> {
        self.1.lock().unwrap()[i].clone()
    }

    /// The request line's method of request `i`.
    pub fn method(&self, i: usize) -> String {
        self.all()[i].split(' ').next().unwrap_or("").to_owned()
    }

    /// The request line's path of request `i`.
    pub fn path(&self, i: usize) -> String {
        self.all()[i].split(' ').nth(1).unwrap_or("").to_owned()
    }
}

/// Starts a server that answers the n-th connection with `script[n]` (the last one repeats).
/// Returns its base URL (`http://127.0.0.1:port`) and the recorded requests.
pub async fn scripted(script: Vec<Reply>) -> (String, Requests) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Requests::default();
    let seen = requests.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let reply = script[n.min(script.len() - 1)].clone();
            n += 1;
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => head.extend_from_slice(&buf[..k]),
                    }
                }
                let end = head.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                let mut body = head.split_off(end);
                let text = String::from_utf8_lossy(&head).into_owned();
                let length = text
                    .lines()
                    .find_map(|line| {
                        let (n, v) = line.split_once(':')?;
                        n.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                while body.len() < length {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(k) => body.extend_from_slice(&buf[..k]),
                    }
                }
                // Both under one lock order (heads, then bodies) so indices agree.
                {
                    let mut heads = seen.0.lock().unwrap();
                    heads.push(text);
                    seen.1.lock().unwrap().push(body);
                }
                for piece in &reply.pieces {
                    if tcp.write_all(piece).await.is_err() {
                        return;
                    }
                    let _ = tcp.flush().await;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                if reply.hold {
                    let _ = tcp.read(&mut buf).await;
                }
            });
        }
    });
    (base, requests)
}
