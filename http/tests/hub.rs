//! The broadcast hub, served by `serve_hub` on 127.0.0.1 and read by our `EventSource`:
//! delivery to every subscriber in order, replay after `Last-Event-ID`, the explicit
//! events-lost signal, the slow-subscriber policy, and graceful drain on shutdown.

use std::time::Duration;

use futures_util::StreamExt;
use ssewire_http::{
    serve_hub, Disconnect, EventSource, Hub, HubConfig, Resume, SourceEvent, EVENTS_LOST,
};
use tokio::net::TcpListener;

async fn start(
    hub: &Hub,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_hub(listener, hub.clone(), async {
        let _ = stopped.await;
    }));
    let server = tokio::spawn(async move { server.await.unwrap().unwrap() });
    (url, stop, server)
}

async fn wait_for_subscribers(hub: &Hub, n: usize) {
    tokio::time::timeout(Duration::from_secs(5), async {
        while hub.subscriber_count() < n {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("subscribers did not arrive");
}

/// The next message's (type, data, id), skipping `Open`; panics on anything else.
async fn next_message(source: &mut EventSource) -> (String, String, String) {
    loop {
        let item = tokio::time::timeout(Duration::from_secs(5), source.next())
            .await
            .expect("stalled")
            .expect("ended");
        match item {
            Ok(SourceEvent::Open) => continue,
            Ok(SourceEvent::Message(e)) => {
                return (
                    e.event_type().into(),
                    e.data().into(),
                    e.last_event_id().into(),
                )
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn publish(hub: &Hub, data: &str) -> u64 {
    hub.publish(ssewire_encoder::Event::new(data)).unwrap()
}

#[tokio::test]
async fn every_subscriber_gets_every_event_in_order() {
    let hub = Hub::new(HubConfig::default());
    let (url, _stop, _server) = start(&hub).await;
    let mut sources: Vec<EventSource> = (0..20).map(|_| EventSource::new(url.clone())).collect();
    for source in &mut sources {
        assert_eq!(source.next().await.unwrap(), Ok(SourceEvent::Open));
    }
    wait_for_subscribers(&hub, 20).await;
    for i in 1..=50 {
        assert_eq!(publish(&hub, &format!("event {i}")), i);
    }
    for source in &mut sources {
        for i in 1..=50 {
            let (_, data, id) = next_message(source).await;
            assert_eq!((data, id), (format!("event {i}"), i.to_string()));
        }
    }
}

#[tokio::test]
async fn a_reconnecting_client_gets_what_it_missed_then_live_events() {
    let hub = Hub::new(HubConfig::default());
    let (url, _stop, _server) = start(&hub).await;
    for i in 1..=30 {
        publish(&hub, &format!("e{i}"));
    }
    let mut source = EventSource::builder(url).last_event_id("10").build();
    for i in 11..=30 {
        assert_eq!(next_message(&mut source).await.2, i.to_string());
    }
    wait_for_subscribers(&hub, 1).await;
    publish(&hub, "live");
    assert_eq!(
        next_message(&mut source).await,
        ("message".into(), "live".into(), "31".into())
    );
}

#[tokio::test]
async fn an_id_older_than_the_replay_buffer_gets_an_events_lost_signal_first() {
    let hub = Hub::new(HubConfig::default().replay(5));
    let (url, _stop, _server) = start(&hub).await;
    for i in 1..=20 {
        publish(&hub, &format!("e{i}"));
    }
    for requested in ["3", "not-a-hub-id", "999"] {
        let mut source = EventSource::builder(url.clone())
            .last_event_id(requested)
            .build();
        let (event_type, data, _) = next_message(&mut source).await;
        assert_eq!(
            (event_type.as_str(), data.as_str()),
            (EVENTS_LOST, requested)
        );
        for i in 16..=20 {
            assert_eq!(next_message(&mut source).await.1, format!("e{i}"));
        }
    }
    // At the subscription level the same facts are readable without parsing.
    let subscription = hub.subscribe(Some("3"));
    let expected = Resume::Lost {
        requested: "3".into(),
        replayed: 5,
    };
    assert_eq!(subscription.resume(), &expected);
    assert_eq!(hub.subscribe(Some("15")).resume(), &Resume::Replayed(5));
    assert_eq!(hub.subscribe(Some("20")).resume(), &Resume::Replayed(0));
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_its_queue_is_cut_off_not_buffered_for() {
    let hub = Hub::new(HubConfig::default().queue(4));
    let mut slow = hub.subscribe(None);
    let mut keeping_up = hub.subscribe(None);
    for i in 1..=10 {
        let id = publish(&hub, &format!("e{i}"));
        // This one reads as events come, each one as published; the other reads nothing.
        let frame = keeping_up.next().await.expect("the subscription keeps up");
        assert_eq!(
            frame.as_bytes(),
            format!("id: {id}\ndata: e{i}\n\n").as_bytes()
        );
    }
    assert!(
        slow.next().await.is_none(),
        "a lagging subscription must end"
    );
    assert!(slow.lagged());
    assert!(!keeping_up.lagged());
    // Over HTTP the client just reconnects and resumes from the replay buffer.
    let (url, _stop, _server) = start(&hub).await;
    let mut source = EventSource::builder(url).last_event_id("2").build();
    for i in 3..=10 {
        assert_eq!(next_message(&mut source).await.2, i.to_string());
    }
}

#[tokio::test]
async fn shutdown_drains_what_was_published_then_ends_every_stream() {
    let hub = Hub::new(HubConfig::default());
    let (url, stop, server) = start(&hub).await;
    let mut sources: Vec<EventSource> = (0..3)
        .map(|_| {
            EventSource::builder(url.clone())
                .reconnection_time(Duration::from_secs(60))
                .build()
        })
        .collect();
    for source in &mut sources {
        assert_eq!(source.next().await.unwrap(), Ok(SourceEvent::Open));
    }
    wait_for_subscribers(&hub, 3).await;
    for i in 1..=5 {
        publish(&hub, &format!("e{i}"));
    }
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve_hub did not return after shutdown")
        .unwrap();
    assert!(hub.publish(ssewire_encoder::Event::new("late")).is_err());
    for source in &mut sources {
        for i in 1..=5 {
            assert_eq!(next_message(source).await.1, format!("e{i}"));
        }
        let end = source.next().await.unwrap();
        let Ok(SourceEvent::Reconnecting { cause, .. }) = end else {
            panic!("{end:?}")
        };
        assert_eq!(cause, Disconnect::Closed);
    }
}
