//! One adapter process: start it with its input, collect what it printed, kill it (and all it
//! started) at the time limit; and read its protocol lines.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use ssewire_conformance::{escape_truncated, Output};

/// What one adapter process did.
#[derive(Clone, Debug)]
pub struct Finished {
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error.
    pub stderr: Vec<u8>,
    /// Its exit code, or `None` when a signal ended it.
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    /// It ran past the time limit and was killed.
    pub timed_out: bool,
}

/// Runs `command` (a shell command line) with `args` appended, `stdin` as its input, killing
/// its whole process group after `timeout`.
///
/// # Errors
/// When the shell cannot be started.
///
/// ```
/// use std::time::Duration;
/// # #[cfg(unix)] {
/// let done = sse_conformance::process::spawn("cat", &[], b"hi", Duration::from_secs(5)).unwrap();
/// assert_eq!((done.stdout, done.code), (b"hi".to_vec(), Some(0)));
/// # }
/// ```
pub fn spawn(
    command: &str,
    args: &[String],
    stdin: &[u8],
    timeout: Duration,
) -> std::io::Result<Finished> {
    let mut shell = shell_command(command, args);
    shell
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = shell.spawn()?;
    let mut input = child.stdin.take().expect("piped");
    let mut output = child.stdout.take().expect("piped");
    let mut errors = child.stderr.take().expect("piped");
    let started = Instant::now();
    thread::scope(|scope| {
        // An adapter may exit without reading all of stdin: a broken pipe is its business.
        scope.spawn(move || drop(input.write_all(stdin)));
        let out = scope.spawn(move || {
            let mut buf = Vec::new();
            let _ = output.read_to_end(&mut buf);
            buf
        });
        let err = scope.spawn(move || {
            let mut buf = Vec::new();
            let _ = errors.read_to_end(&mut buf);
            buf
        });
        let mut timed_out = false;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if started.elapsed() > timeout {
                timed_out = true;
                kill_tree(&mut child);
                break child.wait()?;
            }
            thread::sleep(Duration::from_millis(1));
        };
        Ok(Finished {
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
            code: status.code(),
            signal: signal_of(status),
            timed_out,
        })
    })
}

/// `sh -c 'COMMAND "$@"' sse-conformance ARGS...` in a process group of its own, so that a
/// timeout can end the shell and whatever it started.
#[cfg(unix)]
fn shell_command(command: &str, args: &[String]) -> Command {
    use std::os::unix::process::CommandExt;
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(format!("{command} \"$@\""))
        .arg("sse-conformance")
        .args(args)
        .process_group(0);
    shell
}

/// `cmd /C COMMAND ARGS...`: Windows has no process groups to kill, so a timeout ends only
/// the shell.
#[cfg(not(unix))]
fn shell_command(command: &str, args: &[String]) -> Command {
    let mut shell = Command::new("cmd");
    shell.arg("/C").arg(command).args(args);
    shell
}

#[cfg(unix)]
fn kill_tree(child: &mut std::process::Child) {
    // The whole group: the shell and whatever it started.
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(format!("-{}", child.id()))
        .status();
    let _ = child.kill();
}

#[cfg(not(unix))]
fn kill_tree(child: &mut std::process::Child) {
    let _ = child.kill();
}

#[cfg(unix)]
fn signal_of(status: std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

#[cfg(not(unix))]
fn signal_of(_: std::process::ExitStatus) -> Option<i32> {
    None
}

/// Reads an adapter's stdout: its event and retry lines, or why it is not protocol output.
///
/// ```
/// use sse_conformance::process::read_outputs;
/// use ssewire_conformance::Output;
/// let lines = b"{\"comment\":\"x\"}\n{\"retry\":3}\n{\"error\":\"limit\"}\n";
/// assert_eq!(read_outputs(lines), Ok(vec![Output::Retry(3)]));
/// assert!(read_outputs(b"not json\n").is_err());
/// // Any integer is a retry value, however wrong; anything else is not.
/// let wrong = b"{\"retry\":-1}\n{\"retry\":100000000000000000000}\n";
/// assert_eq!(
///     read_outputs(wrong),
///     Ok(vec![Output::RetryOutOfRange(-1), Output::RetryOutOfRange(100_000_000_000_000_000_000)])
/// );
/// assert!(read_outputs(b"{\"retry\":1.5}\n").is_err());
/// assert!(read_outputs(b"{\"retry\":\"abc\"}\n").is_err());
/// ```
///
/// # Errors
/// A message quoting the first line that is not a JSON object, or an event or retry line of
/// the wrong shape (a `retry` that is not an integer, for one).
pub fn read_outputs(stdout: &[u8]) -> Result<Vec<Output>, String> {
    let text = String::from_utf8_lossy(stdout);
    let mut outputs = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let quoted = || escape_truncated(line.as_bytes(), 200);
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("not a JSON line ({e}): {}", quoted()))?;
        let object = value
            .as_object()
            .ok_or_else(|| format!("not a JSON object: {}", quoted()))?;
        if ["event", "data", "id", "retry"]
            .iter()
            .any(|k| object.contains_key(*k))
        {
            // From the text, not `value`: a `Value` holds no integer past 64 bits, and a
            // retry value out of range is the library's wrong answer, judged as such.
            let output: Output = serde_json::from_str(line)
                .map_err(|e| format!("malformed output line ({e}): {}", quoted()))?;
            outputs.push(output);
        }
    }
    Ok(outputs)
}
