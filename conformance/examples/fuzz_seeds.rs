//! Writes a seed corpus for every fuzz target from the conformance cases:
//! `cargo run --example fuzz_seeds -- DIR` fills `DIR/<target>/`.
//! (`fuzz/run.sh` calls it before each campaign; the seeds are derived, so not committed.)

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: fuzz_seeds DIR"));
    let mut written = 0;
    for target in ["parse_chunked", "differential", "roundtrip", "encode"] {
        let folder = dir.join(target);
        std::fs::create_dir_all(&folder).unwrap();
        for case in ssewire_conformance::Case::all()
            .iter()
            .filter(|c| c.input.len() < 4096)
        {
            let seed = match target {
                // Byte 0 picks the chunking: 7 cuts the stream into small uneven pieces.
                "parse_chunked" | "differential" => [&[7u8][..], &case.input].concat(),
                // The structured targets read raw bytes as their input; cases give them shape.
                _ => case.input.clone(),
            };
            std::fs::write(folder.join(case.name.replace('/', "__")), seed).unwrap();
            written += 1;
        }
    }
    println!("wrote {written} seeds under {}", dir.display());
}
