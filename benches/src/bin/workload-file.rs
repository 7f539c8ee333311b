//! `workload-file NAME MIB`: writes a parse workload (`src/workloads.rs`), repeated to at least
//! `MIB` MiB, to stdout, and on stderr the counts a correct parser reports for it, as the
//! adapter protocol's count line (`{"events":E,"retries":0,"data_bytes":B}`), and the size of
//! the reads the workload models. `benches/process.sh` times whole adapter processes on it.

use std::io::Write;
use std::process::ExitCode;

use ssewire_benches::workloads;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(name), Some(mib)) = (
        args.first(),
        args.get(1).and_then(|m| m.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: workload-file NAME MIB");
        return ExitCode::from(2);
    };
    let Some(workload) = workloads::all().into_iter().find(|w| w.name == name) else {
        let names: Vec<&str> = workloads::all().iter().map(|w| w.name).collect();
        eprintln!("no workload {name:?}; there are {}", names.join(", "));
        return ExitCode::from(2);
    };
    // Every workload ends at an event's end, so copies laid end to end stay well formed.
    let copies = (mib << 20).div_ceil(workload.bytes.len()).max(1);
    let mut stdout = std::io::stdout().lock();
    for _ in 0..copies {
        if let Err(err) = stdout.write_all(&workload.bytes) {
            eprintln!("writing stdout: {err}");
            return ExitCode::FAILURE;
        }
    }
    let read = if workload.cuts.is_empty() {
        workload.chunk_size
    } else {
        // A typical chunk: the workload's bytes over its chunk count.
        workload.bytes.len() / (workload.cuts.len() + 1)
    };
    eprintln!(
        "{{\"events\":{},\"retries\":0,\"data_bytes\":{}}}\t{read}",
        workload.events * copies as u64,
        workload.data_bytes * copies as u64
    );
    ExitCode::SUCCESS
}
