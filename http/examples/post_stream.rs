//! A POST stream, as model-streaming APIs answer: the example starts a local mock of such an
//! API (POST a JSON body, get `data: {...}` chunks and a final `data: [DONE]`), then streams
//! from it with `EventSource` and prints each token as it arrives.
//!
//! ```text
//! cargo run -p ssewire-http --example post_stream
//! cargo run -p ssewire-http --example post_stream -- "a prompt of your own"
//! ```

use std::convert::Infallible;
use std::io::Write as _;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::{Method, Request, Response};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use ssewire_http::{EventSource, SourceEvent};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Say hello".into());
    let base = mock_api().await;

    // README: begin
    // A POST with a JSON body. A POST is not repeated on its own, so the end of the response
    // ends the stream.
    let body = format!(r#"{{"model":"mock-1","stream":true,"prompt":{prompt:?}}}"#);
    let mut source = EventSource::builder(format!("{base}/v1/completions"))
        .method(Method::POST)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header(AUTHORIZATION, HeaderValue::from_static("Bearer sk-local"))
        .body(body)
        .build();
    while let Some(item) = source.next().await {
        match item {
            Ok(SourceEvent::Message(event)) if event.data() == "[DONE]" => break,
            Ok(SourceEvent::Message(event)) => {
                print!("{}", token(event.data()).unwrap_or_default());
                let _ = std::io::stdout().flush();
            }
            Ok(_) => {}
            Err(failure) => {
                eprintln!("failed: {failure}");
                std::process::exit(1);
            }
        }
    }
    println!();
    // README: end
}

/// The `"content"` string of a chunk such as `{"choices":[{"delta":{"content":"Hel"}}]}`
/// (the mock sends no escapes; a real client would use a JSON parser).
fn token(chunk: &str) -> Option<&str> {
    let start = chunk.find(r#""content":""#)? + r#""content":""#.len();
    let len = chunk[start..].find('"')?;
    Some(&chunk[start..start + len])
}

/// Serves the mock API on 127.0.0.1 (a free port) and returns its base URL. For each POST,
/// it sends the prompt back word by word, 80 ms apart, then `[DONE]`.
async fn mock_api() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service_fn(answer))
                    .await;
            });
        }
    });
    base
}

async fn answer(request: Request<Incoming>) -> Result<Response<StreamBody<Chunks>>, Infallible> {
    let json = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let json = String::from_utf8_lossy(&json);
    let prompt = json
        .split(r#""prompt":""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next());
    let words: Vec<String> = format!("You said: {}", prompt.unwrap_or("nothing"))
        .split(' ')
        .map(|word| word.to_owned())
        .collect();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        for (i, word) in words.iter().enumerate() {
            let piece = if i == 0 {
                word.clone()
            } else {
                format!(" {word}")
            };
            let chunk =
                format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{piece}\"}}}}]}}\n\n");
            if tx.send(Ok(Frame::data(Bytes::from(chunk)))).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(80)).await;
        }
        let _ = tx
            .send(Ok(Frame::data(Bytes::from_static(b"data: [DONE]\n\n"))))
            .await;
    });
    let body = StreamBody::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    let response = Response::builder()
        .header(CONTENT_TYPE, "text/event-stream")
        .body(body)
        .unwrap();
    Ok(response)
}

type Chunks = tokio_stream::wrappers::ReceiverStream<Result<Frame<Bytes>, Infallible>>;
