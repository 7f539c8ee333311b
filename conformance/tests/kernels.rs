//! The corpus and the properties once per scan kernel this CPU has (SWAR everywhere, SSE2 on
//! x86_64, AVX2 where the CPU has it), forced with `ssewire_parser::shared::force_kernel`, which
//! `SSEWIRE_KERNEL=swar|sse2|avx2` also sets for a whole process. A kernel is a process-wide
//! choice, so this binary holds one test, which runs the kernels one after the other.

mod generators;

use generators::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use ssewire_conformance::{parse_with_ssewire, reference, Chunkings, Runner};
use ssewire_parser::shared::{force_kernel, kernel_in_use, KernelName};

/// Runs `check` on `cases` values of `strategy`, panicking with the kernel and the failing value.
fn property<S: Strategy>(
    kernel: KernelName,
    name: &str,
    cases: u32,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let config = Config {
        cases,
        // A failure here only has to be seen; `properties.rs` shrinks the same property.
        max_shrink_iters: 0,
        failure_persistence: None,
        ..Config::default()
    };
    if let Err(err) = TestRunner::new(config).run(&strategy, check) {
        panic!("{name} with the {kernel:?} kernel: {err}");
    }
}

/// Lines around the block edges, one odd byte at each position of two blocks: every lane of
/// each kernel, for each kind of byte, with the line ending at, before and after the edge.
fn every_lane_of_two_blocks() -> Vec<Vec<u8>> {
    let mut inputs = Vec::new();
    // Under Miri (scripts/miri.sh), the positions beside the edges only.
    let positions: Vec<usize> = match cfg!(miri) {
        true => vec![0, 62, 63, 64, 127],
        false => (0..128).collect(),
    };
    for odd in [&b"\r"[..], b"\n", b"\r\n", b"\xC3\xA9", b"\xFF", b"\0"] {
        for &at in &positions {
            for len in [63, 64, 65, 128, 129] {
                let mut line = b"data: ".to_vec();
                line.resize(len, b'v');
                let end = (at + odd.len()).min(line.len());
                if at < line.len() {
                    line[at..end].copy_from_slice(&odd[..end - at]);
                }
                line.extend_from_slice(b"\n\ndata: next\n\n");
                inputs.push(line);
            }
        }
    }
    inputs
}

#[test]
fn the_corpus_and_the_properties_pass_with_every_kernel_this_cpu_has() {
    let kernels: Vec<KernelName> = KernelName::ALL
        .into_iter()
        .filter(|kernel| kernel.is_available())
        .collect();
    assert!(kernels.contains(&KernelName::Swar));
    if cfg!(target_arch = "x86_64") {
        assert!(kernels.contains(&KernelName::Sse2));
    }
    // Before anything is forced: the kernel SSEWIRE_KERNEL names if the CPU runs it, else the
    // CPU's best.
    let named = std::env::var("SSEWIRE_KERNEL").ok();
    let from_env = named.as_deref().and_then(KernelName::from_name);
    let best = match KernelName::Avx2.is_available() {
        true => KernelName::Avx2,
        false if cfg!(target_arch = "x86_64") => KernelName::Sse2,
        false => KernelName::Swar,
    };
    let expected = from_env
        .filter(|kernel| kernel.is_available())
        .unwrap_or(best);
    assert_eq!(kernel_in_use(), expected, "SSEWIRE_KERNEL={named:?}");
    let edges = every_lane_of_two_blocks();
    for &kernel in &kernels {
        println!("kernel {}", kernel.as_str());
        assert!(force_kernel(Some(kernel)), "{kernel:?}");
        assert_eq!(kernel_in_use(), kernel);

        // The corpus is left to the native run under Miri: hours there, and the properties
        // below reach the same unsafe loads.
        if !cfg!(miri) {
            Runner::new()
                .chunkings(Chunkings::EXHAUSTIVE)
                .run(parse_with_ssewire)
                .assert();
        }

        for input in &edges {
            let whole = parse_with_ssewire(&[input]);
            assert_eq!(whole, reference::parse(input), "{kernel:?} {input:?}");
            for at in [1, 62, 63, 64, 65, 127, 128] {
                if let Some((a, b)) = input.split_at_checked(at) {
                    assert_eq!(
                        parse_with_ssewire(&[a, b]),
                        whole,
                        "{kernel:?} split at {at}"
                    );
                }
            }
        }

        property(
            kernel,
            "chunking",
            cases(300),
            (sse_bytes(), cuts(8)),
            |(b, c)| chunking_changes_nothing(&b, &c),
        );
        property(
            kernel,
            "reference",
            cases(300),
            (sse_bytes(), cuts(4)),
            |(b, c)| agrees_with_the_reference(&b, &c),
        );
        property(
            kernel,
            "block edges",
            cases(300),
            (block_edge_bytes(), cuts(4)),
            |(b, c)| {
                agrees_with_the_reference(&b, &c)?;
                chunking_changes_nothing(&b, &c)
            },
        );
        property(
            kernel,
            "round trip",
            cases(300),
            (prop::collection::vec(item(), 0..8), cuts(6)),
            |(items, c)| round_trips(&items, &c),
        );
    }
    assert!(force_kernel(None));
}
