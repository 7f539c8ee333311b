//! A hub in your own hyper router: `GET /events` streams a clock to every subscriber
//! (`Hub::respond` resumes after `Last-Event-ID`), `POST /say` broadcasts its body, and
//! Ctrl-C drains and stops (a second Ctrl-C, or 10 s, stops at once). It keeps the limits a
//! public server needs: bodies (413), connections (closed over 10,000), request heads (10 s),
//! wrong methods (405 with `Allow`), and accept errors (retried, never fatal).
//!
//! ```text
//! cargo run -p ssewire-http --example hub_server            # listens on 127.0.0.1:8080
//! curl -N http://127.0.0.1:8080/events                      # or: --example event_source
//! curl -d 'hello' http://127.0.0.1:8080/say
//! ```

use std::{convert::Infallible, sync::Arc, time::Duration};

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::{body::Incoming, service::service_fn, Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use ssewire_http::{Hub, HubConfig, SseBody, Subscription};

type Body = Either<SseBody<Subscription>, Full<Bytes>>;

fn text(status: StatusCode, body: &'static str, allow: Option<&'static str>) -> Response<Body> {
    let mut response = Response::new(Either::Right(Full::new(Bytes::from_static(
        body.as_bytes(),
    ))));
    *response.status_mut() = status;
    if let Some(allow) = allow {
        response
            .headers_mut()
            .insert("allow", allow.parse().expect("a valid header"));
    }
    response
}

async fn route(hub: Hub, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    Ok(match (request.method(), request.uri().path()) {
        (&Method::GET, "/events") => hub.respond(request.headers()).map(Either::Left),
        (&Method::POST, "/say") => {
            match Limited::new(request.into_body(), 64 * 1024).collect().await {
                Err(_) => text(StatusCode::PAYLOAD_TOO_LARGE, "at most 64 KiB\n", None),
                Ok(body) => match String::from_utf8(body.to_bytes().to_vec()) {
                    Err(_) => text(StatusCode::BAD_REQUEST, "not UTF-8\n", None),
                    Ok(said) => {
                        let _ = hub.publish(
                            ssewire_encoder::Event::new(&said)
                                .event_type("say")
                                .unwrap(),
                        );
                        text(StatusCode::NO_CONTENT, "", None)
                    }
                },
            }
        }
        (_, "/events") => text(StatusCode::METHOD_NOT_ALLOWED, "GET only\n", Some("GET")),
        (_, "/say") => text(StatusCode::METHOD_NOT_ALLOWED, "POST only\n", Some("POST")),
        _ => text(StatusCode::NOT_FOUND, "not found\n", None),
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
            if clock
                .publish(ssewire_encoder::Event::new(&format!("{{\"tick\":{n}}}")))
                .is_err()
            {
                break; // closed: shutting down
            }
        }
    });
    let (graceful, slots) = (
        GracefulShutdown::new(),
        Arc::new(tokio::sync::Semaphore::new(10_000)),
    );
    loop {
        let accepted =
            tokio::select! { a = listener.accept() => a, _ = tokio::signal::ctrl_c() => break };
        let Ok((tcp, _)) = accepted else {
            tokio::time::sleep(Duration::from_millis(100)).await; // out of descriptors: wait
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue;
        }; // over the cap: closed
        let hub = hub.clone();
        let service = service_fn(move |request| route(hub.clone(), request));
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10))
            .serve_connection(TokioIo::new(tcp), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move { (connection.await, drop(slot)) });
    }
    hub.close(); // every stream gets what was published, then ends
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => eprintln!("drain deadline: stopping"),
        _ = tokio::signal::ctrl_c() => eprintln!("second Ctrl-C: stopping"),
    }
    Ok(())
}
