//! The fuzz targets on stable, without libFuzzer: over seeds made from every corpus case, and
//! over every input a campaign kept (`fuzz/regressions/<target>/`, crashes once fixed).

use std::path::Path;

use ssewire_conformance::{fuzz, Case};

/// Chunking seeds: whole input, and three different cuttings into 1..=16-byte chunks.
const SEEDS: [u8; 4] = [0, 1, 7, 200];

#[test]
fn parse_chunked_holds_on_every_case() {
    for case in Case::all().iter().filter(|c| c.input.len() <= 64 * 1024) {
        for seed in SEEDS {
            let data = [&[seed][..], &case.input].concat();
            fuzz::parse_chunked(&data);
        }
    }
}

#[test]
fn differential_holds_on_every_case() {
    for case in Case::all() {
        for seed in SEEDS {
            fuzz::differential(&[&[seed][..], &case.input].concat());
        }
    }
}

/// Deterministic pseudo-random bytes, for the structured targets' replay.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            // Bias toward the bytes that matter to the format.
            let byte = (state >> 33) as u8;
            match byte % 8 {
                0 => b'\r',
                1 => b'\n',
                2 => 0,
                _ => byte,
            }
        })
        .collect()
}

#[test]
fn roundtrip_and_encode_hold_on_structured_noise() {
    for seed in 0..2000 {
        let data = noise(seed, (seed % 300) as usize);
        fuzz::roundtrip(&data);
        fuzz::encode(&data);
    }
}

#[test]
fn every_kept_fuzz_input_still_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    type Target = fn(&[u8]);
    let targets: [(&str, Target); 4] = [
        ("parse_chunked", fuzz::parse_chunked),
        ("differential", fuzz::differential),
        ("roundtrip", fuzz::roundtrip),
        ("encode", fuzz::encode),
    ];
    let mut replayed = 0;
    for (name, target) in targets {
        let Ok(dir) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        for file in dir {
            let path = file.unwrap().path();
            if path.file_name().is_some_and(|n| n == "README.md") {
                continue;
            }
            target(&std::fs::read(&path).unwrap());
            replayed += 1;
        }
    }
    // The folder ships with at least one input per target: a missing folder is a broken setup.
    assert!(
        replayed >= 4,
        "only {replayed} kept fuzz inputs found under {}",
        root.display()
    );
}
