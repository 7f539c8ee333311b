//! A hub in your own hyper router: `GET /events` streams a clock to every subscriber
//! (`Hub::respond` resumes after `Last-Event-ID`), `POST /say` broadcasts its body, and
//! Ctrl-C drains and stops. Without a router, `serve_hub` does all of this in one call.
//!
//! ```text
//! cargo run -p ssewire-http --example hub_server            # listens on 127.0.0.1:8080
//! curl -N http://127.0.0.1:8080/events                      # or: --example event_source
//! curl -d 'hello' http://127.0.0.1:8080/say
//! ```

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Empty};
use hyper::{body::Incoming, service::service_fn, Method, Request, Response, StatusCode};
use hyper_util::{rt::TokioIo, server::graceful::GracefulShutdown};
use ssewire_http::{Hub, HubConfig, SseBody, Subscription};

type Body = Either<SseBody<Subscription>, Empty<Bytes>>;

async fn route(hub: Hub, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let empty = |status| {
        let mut response = Response::new(Either::Right(Empty::new()));
        *response.status_mut() = status;
        response
    };
    Ok(match (request.method(), request.uri().path()) {
        (&Method::GET, "/events") => hub.respond(request.headers()).map(Either::Left),
        (&Method::POST, "/say") => match request.into_body().collect().await {
            Ok(body) => match String::from_utf8(body.to_bytes().to_vec()) {
                Ok(text) => {
                    let _ = hub.publish(
                        ssewire_encoder::Event::new(&text)
                            .event_type("say")
                            .unwrap(),
                    );
                    empty(StatusCode::NO_CONTENT)
                }
                Err(_) => empty(StatusCode::BAD_REQUEST),
            },
            Err(_) => empty(StatusCode::BAD_REQUEST),
        },
        _ => empty(StatusCode::NOT_FOUND),
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("streaming on http://{}/events", listener.local_addr()?);
    let hub = Hub::new(HubConfig::default());
    let clock = hub.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        for n in 0u64.. {
            tick.tick().await;
            let text = format!("{{\"tick\":{n}}}");
            if clock.publish(ssewire_encoder::Event::new(&text)).is_err() {
                break; // closed: shutting down
            }
        }
    });
    let graceful = GracefulShutdown::new();
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => break,
        };
        let hub = hub.clone();
        let service = service_fn(move |request| route(hub.clone(), request));
        let connection =
            hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service);
        tokio::spawn(graceful.watch(connection));
    }
    hub.close(); // every stream gets what was published, then ends
    graceful.shutdown().await;
    Ok(())
}
