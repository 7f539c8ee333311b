//! The `ssewire-hub` binary as scripts use it: `--help`, the `listening on` line, SIGTERM and
//! SIGINT, exit statuses, and tokens that the hub's own verifier accepts.
//!
//! Every child process is held by a [`Running`] guard that kills it by PID when dropped, so a
//! failing assertion leaves nothing running.
//!
//! Unix only: signals are sent with `kill`.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::CommandFactory;
use ssewire_hub::auth::{
    Algorithm, KeyMaterial, Role, SigningKey, TrustedKey, Verifier, VerifierConfig,
};
use ssewire_hub::cli::Cli;
use ssewire_hub::topic::Topic;
use url::Url;

const BIN: &str = env!("CARGO_BIN_EXE_ssewire-hub");
/// Generous: a debug build on a busy 2-core machine.
const START_LIMIT: Duration = Duration::from_secs(30);
const EXIT_LIMIT: Duration = Duration::from_secs(15);
const HUB: &str = "http://127.0.0.1:3000/.well-known/mercure";
const APP: &str = "https://app.example";
const ALICE: &str = "https://example.com/users/alice/notifications";

fn keys_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys")
}

/// The binary with no `SSEWIRE_HUB_*` variable inherited from the test's environment.
fn hub() -> Command {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SSEWIRE_HUB_") {
            command.env_remove(name);
        }
    }
    command
}

/// Runs to completion (for the short-lived subcommands), bounded by a guard all the same.
fn output(command: &mut Command) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ssewire-hub");
    let mut running = Running::new(child);
    let status = running.wait_for_exit(EXIT_LIMIT);
    Output {
        status,
        stdout: running.stdout_rest().into_bytes(),
        stderr: running.stderr().into_bytes(),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// A child process, killed (SIGKILL, by PID) and reaped on drop unless it has exited.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    stdout: Option<JoinHandle<()>>,
    stderr: Option<JoinHandle<String>>,
}

impl Running {
    fn new(mut child: Child) -> Running {
        let (send, lines) = mpsc::channel();
        let out = child.stdout.take().expect("stdout piped");
        let stdout = std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().expect("stderr piped");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        Running {
            child,
            lines,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next stdout line, within `limit`.
    fn line(&self, limit: Duration) -> String {
        self.lines
            .recv_timeout(limit)
            .unwrap_or_else(|e| panic!("no stdout line within {limit:?}: {e}"))
    }

    /// Waits for the exit, panicking (and so killing it on drop) past `limit`.
    fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The stdout lines not yet read, once the process has exited.
    fn stdout_rest(&mut self) -> String {
        if let Some(thread) = self.stdout.take() {
            thread.join().expect("stdout reader");
        }
        self.lines.try_iter().map(|l| l + "\n").collect()
    }

    /// All of stderr, once the process has exited.
    fn stderr(&mut self) -> String {
        self.stderr
            .take()
            .map(|thread| thread.join().expect("stderr reader"))
            .unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Starts `serve` with `args` and returns the guard and the port from its first line.
fn serve(args: &[&str], envs: &[(&str, &str)]) -> (Running, u16) {
    let child = hub()
        .arg("serve")
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ssewire-hub serve");
    let running = Running::new(child);
    let line = running.line(START_LIMIT);
    let port = line
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse::<u16>()
        .unwrap_or_else(|_| panic!("no port in {line:?}"));
    assert_ne!(port, 0);
    (running, port)
}

fn signal(running: &Running, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(running.pid().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} failed");
}

/// A fresh `keygen` secret in `dir`, and its path.
fn keygen(dir: &Path) -> PathBuf {
    let out = output(hub().arg("keygen"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let path = dir.join("hub.key");
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

/// `token` with `args`, expecting success; the token.
fn token(args: &[&str]) -> String {
    let out = output(hub().arg("token").args(args));
    assert!(
        out.status.success(),
        "token {args:?}: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    let token = stdout
        .strip_suffix('\n')
        .expect("a newline after the token");
    assert!(!token.contains('\n'), "one line: {stdout:?}");
    assert_eq!(token.split('.').count(), 3, "a compact JWS: {token}");
    token.to_owned()
}

fn verifier(publisher: TrustedKey, subscriber: TrustedKey, legacy: bool) -> Verifier {
    let mut config = VerifierConfig::new(HUB, Url::parse(HUB).unwrap());
    config.publishers = vec![publisher];
    config.subscribers = vec![subscriber];
    config.legacy = legacy;
    Verifier::new(config)
}

fn topics(list: &[&str]) -> Vec<Topic> {
    let hub = Url::parse(HUB).unwrap();
    list.iter().map(|t| Topic::new(*t, &hub)).collect()
}

/// Expects exit status 2 and one `error:` line on stderr; that line.
fn usage_error(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.starts_with("error: "), "{stderr:?}");
    stderr
}

#[test]
fn help_lists_every_option_of_every_subcommand_with_its_env_var() {
    let out = output(hub().arg("--help"));
    assert!(out.status.success());
    let cli = Cli::command();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        assert!(text(&out.stdout).contains(name), "{name} in --help");
        let out = output(hub().args([name, "--help"]));
        assert!(out.status.success(), "{name} --help");
        let help = text(&out.stdout);
        let mut options = 0;
        for arg in sub.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            assert!(
                help.contains(&format!("--{long}")),
                "{name} --help lacks --{long}"
            );
            if let Some(env) = arg.get_env() {
                let env = env.to_string_lossy();
                assert!(
                    help.contains(&format!("[env: {env}=]")),
                    "{name} --help lacks {env}"
                );
                options += 1;
            } else {
                assert_eq!(long, "help", "{name} --{long} has no env var");
            }
        }
        assert!(options > 0, "{name} has options");
    }
}

#[test]
fn serve_prints_one_line_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path());
    // Half through the environment, so the variables are checked too.
    let (mut running, port) = serve(
        &["--publisher-key", key.to_str().unwrap(), "--log", "debug"],
        &[
            ("SSEWIRE_HUB_LISTEN", "127.0.0.1:0"),
            ("SSEWIRE_HUB_HISTORY", "memory"),
            ("SSEWIRE_HUB_ALG", "HS256"),
            ("SSEWIRE_HUB_ISSUER", APP),
            ("SSEWIRE_HUB_ANONYMOUS", "true"),
        ],
    );
    assert_ne!(port, 3000);
    signal(&running, "TERM");
    let status = running.wait_for_exit(EXIT_LIMIT);
    assert_eq!(status.code(), Some(0), "stderr: {}", running.stderr());
    assert_eq!(running.stdout_rest(), "", "exactly one line on stdout");
    let stderr = running.stderr();
    assert!(stderr.contains("SIGTERM"), "the signal is logged: {stderr}");
}

/// The port from the line accepts TCP connections for as long as the hub runs.
#[test]
fn serve_accepts_connections_on_the_printed_port() {
    let (mut running, port) = serve(
        &[
            "--listen",
            "127.0.0.1:0",
            "--history",
            "memory",
            "--anonymous",
        ],
        &[],
    );
    for _ in 0..3 {
        TcpStream::connect(("127.0.0.1", port)).expect("the port accepts connections");
        std::thread::sleep(Duration::from_millis(100));
    }
    signal(&running, "TERM");
    assert_eq!(running.wait_for_exit(EXIT_LIMIT).code(), Some(0));
}

/// A second signal during the drain exits at once with status 130. Event streams end as
/// soon as the drain starts, so what holds it open here is a `QUERY` subscription whose body
/// is still arriving (the drain deadline is 60 s, the body timeout 30 s).
#[test]
fn a_second_signal_during_the_drain_exits_with_130() {
    use std::io::Write;
    let (mut running, port) = serve(
        &[
            "--listen",
            "127.0.0.1:0",
            "--history",
            "memory",
            "--anonymous",
            "--drain-deadline",
            "60",
        ],
        &[],
    );
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "QUERY /.well-known/mercure HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nmatch=x"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    signal(&running, "TERM");
    std::thread::sleep(Duration::from_millis(500));
    assert!(running.child.try_wait().unwrap().is_none(), "draining");
    signal(&running, "TERM");
    let status = running.wait_for_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(130), "stderr: {}", running.stderr());
    assert!(running.stderr().contains("second signal"));
    drop(stream);
}

#[test]
fn serve_with_public_keys_stops_on_sigint() {
    let keys = keys_dir();
    let (ed, p256) = (keys.join("ed25519.pub"), keys.join("p256.pub"));
    let (mut running, port) = serve(
        &[
            "--listen",
            "127.0.0.1:0",
            "--history",
            "memory",
            "--publisher-key",
            ed.to_str().unwrap(),
            "--alg",
            "EdDSA",
            "--subscriber-key",
            p256.to_str().unwrap(),
            "--subscriber-alg",
            "ES256",
            "--issuer",
            APP,
            "--public-url",
            "https://hub.example/.well-known/mercure",
            "--cors-origin",
            "https://app.example",
            "--heartbeat",
            "0",
            "--drain-deadline",
            "1.5",
        ],
        &[],
    );
    assert_ne!(port, 3000);
    signal(&running, "INT");
    let status = running.wait_for_exit(EXIT_LIMIT);
    assert_eq!(status.code(), Some(0), "stderr: {}", running.stderr());
    assert!(running.stderr().contains("SIGINT"));
}

#[test]
fn a_bad_key_file_is_exit_status_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such.key");
    let out = output(hub().args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--history",
        "memory",
        "--alg",
        "HS256",
        "--issuer",
        APP,
        "--publisher-key",
        missing.to_str().unwrap(),
    ]));
    let line = usage_error(&out);
    assert!(line.contains(missing.to_str().unwrap()), "{line}");
    assert!(out.stdout.is_empty());

    // An Ed25519 public key for RS256: TrustedKey::new refuses the pair.
    let ed = keys_dir().join("ed25519.pub");
    let out = output(hub().args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--history",
        "memory",
        "--alg",
        "RS256",
        "--issuer",
        APP,
        "--publisher-key",
        ed.to_str().unwrap(),
    ]));
    let line = usage_error(&out);
    assert!(
        line.contains("ed25519.pub") && line.contains("RS256"),
        "{line}"
    );

    // A short HS256 secret.
    let short = dir.path().join("short.key");
    std::fs::write(&short, "too short\n").unwrap();
    let out = output(hub().args([
        "serve",
        "--anonymous",
        "--history",
        "memory",
        "--alg",
        "HS256",
        "--issuer",
        APP,
        "--subscriber-key",
        short.to_str().unwrap(),
    ]));
    let line = usage_error(&out);
    assert!(
        line.contains("short.key") && line.contains("32 bytes"),
        "{line}"
    );
}

#[test]
fn a_transport_other_than_redis_is_refused_and_an_unreachable_redis_is_a_start_error() {
    let out = output(
        hub()
            .args(["serve", "--anonymous", "--history", "memory"])
            .env("SSEWIRE_HUB_TRANSPORT", "nats://x"),
    );
    let line = usage_error(&out);
    assert!(
        line.contains("--transport nats://x") && line.contains("only redis://HOST:PORT[/DB]"),
        "{line}"
    );
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let out = output(hub().args([
        "serve",
        "--anonymous",
        "--transport",
        "redis://127.0.0.1:1",
        "--transport-timeout",
        "0.5",
    ]));
    let line = usage_error(&out);
    assert!(
        line.contains("redis://127.0.0.1:1") && line.contains("connect"),
        "{line}"
    );
}

#[test]
fn other_start_errors_are_exit_status_2() {
    for args in [
        &["serve", "--history", "memory"][..],
        &["serve", "--anonymous", "--cors-origin", "*"],
        &["serve", "--anonymous", "--public-url", "not a url"],
        &["serve", "--anonymous", "--log", "[[["],
        &["serve", "--anonymous", "--listen", "no-port"],
        &["serve", "--anonymous", "--header-read-timeout", "NaN"],
        &[
            "token",
            "--key",
            "k",
            "--alg",
            "none",
            "--audience",
            HUB,
            "--issuer",
            APP,
        ],
    ] {
        let out = output(hub().args(args));
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stderr).contains("error"), "{args:?}");
    }
}

#[test]
fn hs256_tokens_verify_with_the_hubs_verifier() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path());
    let key_arg = key.to_str().unwrap();
    let base = [
        "--key",
        key_arg,
        "--alg",
        "HS256",
        "--audience",
        HUB,
        "--issuer",
        APP,
    ];
    let publisher = token(
        &[
            &base[..],
            &["--publish", ALICE, "--publish", "urlpattern:/books/:id"],
        ]
        .concat(),
    );
    let subscriber = token(
        &[
            &base[..],
            &[
                "--subscribe",
                "urlpattern:https://example.com/users/alice/*",
                "--sub",
                "alice",
                "--exp",
                "60",
                "--payload",
                r#"{"name":"Alice"}"#,
            ],
        ]
        .concat(),
    );

    let secret = std::fs::read(&key).unwrap();
    let secret = secret.strip_suffix(b"\n").unwrap().to_vec();
    let trusted = TrustedKey::new(APP, KeyMaterial::Secret(secret), &[Algorithm::HS256]).unwrap();
    let verifier = verifier(trusted.clone(), trusted, false);

    let publisher = verifier.verify(Role::Publisher, &publisher).unwrap();
    assert!(publisher.grants.may_publish(&topics(&[ALICE])));
    assert!(publisher.grants.may_publish(&topics(&["/books/1"])));
    assert!(!publisher
        .grants
        .may_publish(&topics(&["https://example.com/users/bob/notifications"])));
    assert_eq!(
        publisher.subject.as_deref(),
        Some(APP),
        "sub defaults to the issuer"
    );

    let subscriber = verifier.verify(Role::Subscriber, &subscriber).unwrap();
    assert_eq!(subscriber.subject.as_deref(), Some("alice"));
    assert!(subscriber.grants.may_receive(&topics(&[ALICE])));
    assert!(!subscriber
        .grants
        .may_receive(&topics(&["https://example.com/users/bob/x"])));
    assert!(subscriber.grants.publish().is_empty());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp = subscriber.expires_at.unwrap();
    assert!(exp > now && exp <= now + 61, "exp {exp}, now {now}");
    assert_eq!(
        subscriber.grants.payload_for(ALICE),
        Some(&serde_json::json!({"name": "Alice"}))
    );

    // A token for another audience is refused.
    let other = token(&[
        "--key",
        key_arg,
        "--alg",
        "HS256",
        "--audience",
        "https://other.example/",
        "--issuer",
        APP,
        "--subscribe",
        ALICE,
    ]);
    assert!(verifier.verify(Role::Subscriber, &other).is_err());
}

#[test]
fn legacy_tokens_verify_with_a_legacy_verifier() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path());
    let minted = token(&[
        "--key",
        key.to_str().unwrap(),
        "--alg",
        "HS256",
        "--audience",
        HUB,
        "--issuer",
        APP,
        "--legacy",
        "--subscribe",
        "https://example.com/users/{user}/notifications",
    ]);
    let secret = std::fs::read(&key).unwrap();
    let secret = secret.strip_suffix(b"\n").unwrap().to_vec();
    let trusted = TrustedKey::new(APP, KeyMaterial::Secret(secret), &[Algorithm::HS256]).unwrap();
    let legacy = verifier(trusted.clone(), trusted.clone(), true);
    let access = legacy.verify(Role::Subscriber, &minted).unwrap();
    assert!(access.legacy_claim);
    assert!(access.grants.may_receive(&topics(&[ALICE])));
    // typ JWT: a draft-mode hub refuses it.
    let draft = verifier(trusted.clone(), trusted, false);
    assert!(draft.verify(Role::Subscriber, &minted).is_err());
}

#[test]
fn eddsa_tokens_verify_with_the_public_key() {
    let keys = keys_dir();
    let private = keys.join("ed25519.key");
    let minted = token(&[
        "--key",
        private.to_str().unwrap(),
        "--alg",
        "EdDSA",
        "--audience",
        HUB,
        "--issuer",
        APP,
        "--publish",
        "*",
    ]);
    let public = std::fs::read(keys.join("ed25519.pub")).unwrap();
    let trusted =
        TrustedKey::new(APP, KeyMaterial::PublicKeyPem(public), &[Algorithm::EdDSA]).unwrap();
    let verifier = verifier(trusted.clone(), trusted, false);
    let access = verifier.verify(Role::Publisher, &minted).unwrap();
    assert!(access.grants.may_publish(&topics(&[ALICE, "anything"])));

    // The same private key with an algorithm it does not fit.
    let out = output(hub().args([
        "token",
        "--key",
        private.to_str().unwrap(),
        "--alg",
        "ES256",
        "--audience",
        HUB,
        "--issuer",
        APP,
        "--publish",
        "*",
    ]));
    let line = usage_error(&out);
    assert!(line.contains("ed25519.key"), "{line}");
}

#[test]
fn token_refuses_no_grants_and_bad_patterns() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path());
    let base = [
        "token",
        "--key",
        key.to_str().unwrap(),
        "--alg",
        "HS256",
        "--audience",
        HUB,
        "--issuer",
        APP,
    ];
    let out = output(hub().args(base));
    assert!(usage_error(&out).contains("--publish or --subscribe"));
    let out = output(
        hub()
            .args(base)
            .args(["--subscribe", "urlpattern:https://example.com/(["]),
    );
    assert!(usage_error(&out).contains("--subscribe"));
    let out = output(
        hub()
            .args(base)
            .args(["--subscribe", "x", "--payload", "{not json"]),
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn keygen_prints_a_fresh_secret_the_hub_accepts() {
    let first = output(hub().arg("keygen"));
    let second = output(hub().arg("keygen"));
    assert!(first.status.success() && second.status.success());
    let (first, second) = (text(&first.stdout), text(&second.stdout));
    assert_ne!(first, second, "fresh each time");
    let secret = first.strip_suffix('\n').expect("a newline");
    assert_eq!(secret.len(), 64);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
    TrustedKey::new(
        APP,
        KeyMaterial::Secret(secret.as_bytes().to_vec()),
        &[Algorithm::HS256],
    )
    .expect("a valid HS256 key");
    SigningKey::from_secret(secret.as_bytes()).expect("a valid HS256 signing key");
    let long = output(hub().args(["keygen", "--bytes", "64"]));
    assert_eq!(text(&long.stdout).trim_end().len(), 128);
    let short = output(hub().args(["keygen", "--bytes", "16"]));
    assert_eq!(short.status.code(), Some(2));
}

/// One HTTP/1.1 request on a new connection (`Connection: close`); the whole answer.
fn http(port: u16, request: &str) -> String {
    use std::io::Write;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// Every publish answered 200 is in the history after `kill -9`: a restarted hub replays all
/// of them to a client resuming with `Last-Event-ID` (the file history fsyncs each append
/// before the 200).
#[test]
fn publishes_answered_200_survive_kill_9_and_a_restart_resumes_them() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path());
    let history = dir.path().join("history.redb");
    let audience = "https://hub.test/.well-known/mercure";
    let key_arg = key.to_str().unwrap();
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--publisher-key",
        key_arg,
        "--alg",
        "HS256",
        "--issuer",
        APP,
        "--audience",
        audience,
        "--anonymous",
        "--history",
        history.to_str().unwrap(),
    ];
    let publisher = token(&[
        "--key",
        key_arg,
        "--alg",
        "HS256",
        "--issuer",
        APP,
        "--audience",
        audience,
        "--publish",
        "*",
    ]);
    let (mut running, port) = serve(&args, &[]);
    let total = 40;
    for n in 0..total {
        let form = format!("topic=https://example.com/log&data=entry-{n}&id=urn:entry:{n}");
        let answer = http(
            port,
            &format!(
                "POST /.well-known/mercure HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                 Authorization: Bearer {publisher}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
                form.len()
            ),
        );
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(&format!("urn:entry:{n}")), "{answer}");
    }
    signal(&running, "KILL");
    let status = running.wait_for_exit(EXIT_LIMIT);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );

    let (_restarted, port) = serve(&args, &[]);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    use std::io::Write;
    write!(
        stream,
        "GET /.well-known/mercure?match=https%3A%2F%2Fexample.com%2Flog HTTP/1.1\r\nHost: x\r\n\
         Last-Event-ID: urn:entry:0\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut seen = Vec::new();
    let mut line = String::new();
    while seen.len() < total - 1 {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if let Some(id) = line.trim_end().strip_prefix("id: ") {
                    seen.push(id.to_owned());
                }
                if line
                    .to_ascii_lowercase()
                    .starts_with("mercure-last-event-id:")
                {
                    assert_eq!(
                        line.trim_end()["mercure-last-event-id:".len()..].trim(),
                        "urn:entry:0"
                    );
                }
            }
        }
    }
    let want: Vec<String> = (1..total).map(|n| format!("urn:entry:{n}")).collect();
    assert_eq!(seen, want);
}

/// Out of file descriptors: with `ulimit -n 64`, 150 idle connections make accept fail
/// (EMFILE); the hub logs, backs off and keeps running, and serves again once some close.
#[test]
fn running_out_of_file_descriptors_is_survived() {
    let child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" serve --listen 127.0.0.1:0 --anonymous --history memory")
        .arg(BIN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    let mut running = Running::new(child);
    let line = running.line(START_LIMIT);
    let port: u16 = line
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let mut idle: Vec<TcpStream> = (0..150)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    assert!(idle.len() > 64, "only {} connections opened", idle.len());
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        running.child.try_wait().unwrap().is_none(),
        "the hub exited: {}",
        running.stderr()
    );
    idle.truncate(10);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answer = http(
            port,
            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no answer after descriptors came back: {answer:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(idle);
    signal(&running, "TERM");
    assert_eq!(running.wait_for_exit(EXIT_LIMIT).code(), Some(0));
    assert!(
        running.stderr().contains("accept failed"),
        "the EMFILE was logged"
    );
}
