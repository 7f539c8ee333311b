//! `report`: turns the last `cargo bench` run (criterion's `target/criterion/**/new/`) into the
//! generated part of `docs/performance.md` (between its markers) and the chart
//! `docs/performance.svg`. Run by `benches/run.sh` after the benchmarks.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ssewire_benches::peers::{encoders, parsers};
use ssewire_benches::workloads;

const BEGIN: &str = "<!-- BEGIN GENERATED: benches/run.sh -->";
const END: &str = "<!-- END GENERATED -->";
/// The baselines and reference rows (not parsers or encoders): listed first, drawn grey.
const REFERENCE_ROWS: [&str; 8] = [
    "memchr",
    "memchr-each",
    "minimal-lines",
    "block-lines",
    "checked-lines",
    "copy",
    "unchecked-pieces",
    "checked-pieces",
];

struct Measure {
    group: String,
    function: String,
    bytes: f64,
    median_ns: f64,
}

impl Measure {
    fn mib_per_s(&self) -> f64 {
        self.bytes / (self.median_ns * 1e-9) / (1u64 << 20) as f64
    }
}

fn find_runs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                out.push(path);
            } else {
                find_runs(&path, out);
            }
        }
    }
}

fn read(run: &Path) -> Option<Measure> {
    let json = |file: &str| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(run.join(file)).ok()?).ok()
    };
    let benchmark = json("benchmark.json")?;
    let estimates = json("estimates.json")?;
    Some(Measure {
        group: benchmark["group_id"].as_str()?.to_owned(),
        function: benchmark["function_id"].as_str()?.to_owned(),
        bytes: benchmark["throughput"]["Bytes"].as_f64()?,
        median_ns: estimates["median"]["point_estimate"].as_f64()?,
    })
}

fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let criterion = root.join("target/criterion");
    let mut runs = Vec::new();
    find_runs(&criterion, &mut runs);
    let measures: Vec<Measure> = runs.iter().filter_map(|r| read(r)).collect();
    if measures.is_empty() {
        eprintln!(
            "no criterion results under {}: run cargo bench first",
            criterion.display()
        );
        std::process::exit(1);
    }
    let mut groups: BTreeMap<String, Vec<&Measure>> = BTreeMap::new();
    for m in &measures {
        groups.entry(m.group.clone()).or_default().push(m);
    }
    let not_timed = std::fs::read_to_string(ssewire_benches::not_timed_path()).unwrap_or_default();

    // Report order: workloads as defined, implementations as registered.
    let parse_order: Vec<String> = workloads::all()
        .iter()
        .map(|w| format!("parse/{}", w.name))
        .collect();
    let encode_order: Vec<String> = workloads::encode_all()
        .iter()
        .map(|w| format!("encode/{}", w.name))
        .collect();
    let mut impl_order: Vec<&str> = REFERENCE_ROWS.to_vec();
    impl_order.extend(parsers().iter().map(|p| p.name));
    impl_order.extend(encoders().iter().map(|e| e.name));
    let rank = |name: &str| {
        impl_order
            .iter()
            .position(|n| *n == name)
            .unwrap_or(usize::MAX)
    };

    let mut md = String::new();
    let _ = writeln!(md, "{BEGIN}");
    let _ = writeln!(
        md,
        "Run on {} ({} logical CPUs), {}, `bash benches/run.sh`; medians of criterion's samples.\n",
        cpu(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        command_output("rustc", &["--version"]),
    );
    let mut chart_rows: Vec<(String, Vec<(String, f64)>)> = Vec::new();
    for (order, baseline, title) in [
        (&parse_order, "memchr", "Parsing"),
        (&encode_order, "copy", "Encoding"),
    ] {
        let _ = writeln!(md, "### {title}\n");
        let _ = writeln!(
            md,
            "| workload | implementation | MiB/s | × {baseline} | × ssewire |\n|---|---|---:|---:|---:|"
        );
        for group in order {
            let Some(list) = groups.get_mut(group) else {
                continue;
            };
            list.sort_by_key(|m| rank(&m.function));
            let base = list
                .iter()
                .find(|m| m.function == baseline)
                .map(|m| m.mib_per_s());
            let ours = list
                .iter()
                .find(|m| m.function == "ssewire")
                .map(|m| m.mib_per_s());
            let workload = group.split('/').nth(1).unwrap_or(group);
            for m in list.iter() {
                let speed = m.mib_per_s();
                let ratio =
                    |other: Option<f64>| other.map_or("-".into(), |o| format!("{:.3}", speed / o));
                let _ = writeln!(
                    md,
                    "| {workload} | {} | {:.0} | {} | {} |",
                    m.function,
                    speed,
                    ratio(base),
                    ratio(ours)
                );
            }
            chart_rows.push((
                group.clone(),
                list.iter()
                    .map(|m| (m.function.clone(), m.mib_per_s()))
                    .collect(),
            ));
        }
        md.push('\n');
    }
    targets(&mut md, &groups);
    if !not_timed.trim().is_empty() {
        md.push_str("### Not timed\n\nAn implementation is timed only after its counts on the workload match; these did not\n(or their time grew faster than the workload):\n\n| benchmark | implementation | reason |\n|---|---|---|\n");
        let mut seen = std::collections::BTreeSet::new();
        for line in not_timed.lines() {
            let mut parts = line.splitn(3, '\t');
            if let (Some(g), Some(i), Some(r)) = (parts.next(), parts.next(), parts.next()) {
                if seen.insert((g.to_owned(), i.to_owned())) {
                    let _ = writeln!(md, "| {g} | {i} | {r} |");
                }
            }
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "![throughput by workload and implementation](performance.svg)\n"
    );
    let _ = write!(md, "{END}");

    let doc_path = root.join("../docs/performance.md");
    let doc = std::fs::read_to_string(&doc_path)
        .unwrap_or_else(|_| format!("# Performance\n\n{BEGIN}\n{END}\n"));
    let (Some(start), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        eprintln!("{} lacks the markers {BEGIN} ... {END}", doc_path.display());
        std::process::exit(1);
    };
    let updated = format!("{}{}{}", &doc[..start], md, &doc[end + END.len()..]);
    std::fs::write(&doc_path, updated).expect("writing docs/performance.md");
    std::fs::write(root.join("../docs/performance.svg"), chart(&chart_rows))
        .expect("writing the chart");
    eprintln!("wrote docs/performance.md (generated section) and docs/performance.svg");
}

/// Issue 27's targets, judged on this run alone: for each workload, ours (the faster of
/// `feed` and `feed_each`) against the `block-lines` reference loop and against the fastest
/// peer, and `feed_each` against `feed`; for the encoder, ours against `unchecked-pieces` and
/// the fastest peer. A target left empty is not asked for that workload. Beside the verdicts,
/// the same run's evidence of what bounds the `block-lines` ratio: what `checked-lines` (the
/// no-check loop plus the spec's checks, done the plain way) reaches against `block-lines`,
/// ours against `checked-lines`, and the speed the best-peer target asks, in `block-lines`
/// (above 1.00x, it asks more than the loop that checks nothing reaches); for the encoder,
/// `checked-pieces` against `unchecked-pieces` and ours against `checked-pieces`.
fn targets(md: &mut String, groups: &BTreeMap<String, Vec<&Measure>>) {
    // (workload, × block-lines asked, × best peer asked)
    const PARSE: [(&str, f64, f64); 6] = [
        ("small", 0.9, 4.0),
        ("crlf", 0.9, 4.0),
        ("multiline", 0.9, 2.0),
        ("chunked-1k", 0.8, 4.0),
        ("token-stream", 0.8, 4.0),
        ("large", 1.5, 2.0),
    ];
    const ENCODE: [(&str, f64, Option<f64>); 3] = [
        ("small", 1.0, Some(3.0)),
        ("large", 1.0, None),
        ("multiline", 1.0, None),
    ];
    let speed = |group: &str, name: &str| {
        groups
            .get(group)?
            .iter()
            .find(|m| m.function == name)
            .map(|m| m.mib_per_s())
    };
    let best_peer = |group: &str, ours: &dyn Fn(&str) -> bool| {
        groups.get(group).and_then(|list| {
            list.iter()
                .filter(|m| !ours(&m.function) && !REFERENCE_ROWS.contains(&m.function.as_str()))
                .max_by(|a, b| a.mib_per_s().total_cmp(&b.mib_per_s()))
                .map(|m| (m.function.clone(), m.mib_per_s()))
        })
    };
    let verdict = |ratio: f64, asked: f64| if ratio >= asked { "yes" } else { "**no**" };
    // Ours over `other`, with the ratio asked and whether it is met; "-" without a measure.
    let judged = |ours: f64, other: Option<f64>, asked: Option<f64>| match other {
        None => "-".to_string(),
        Some(other) => {
            let r = ours / other;
            match asked {
                Some(a) => format!("{r:.2}x ({a}x) {}", verdict(r, a)),
                None => format!("{r:.2}x -"),
            }
        }
    };
    // An evidence ratio, not judged; "-" without both measures.
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}x", a / b),
        _ => "-".to_string(),
    };
    let is_parser_of_ours = |name: &str| name.starts_with("ssewire");
    let _ = writeln!(
        md,
        "### Targets (issue 27), judged on this run\n\n\
         Ours is the faster of `ssewire` (`feed`) and `ssewire-each` (`feed_each`).\n\n\
         | parse workload | ours | × block-lines (asked) | checked-lines × block-lines | ours × checked-lines | best peer | × best peer (asked) | that ask × block-lines | each ÷ feed (asked ≥ 1) |\n\
         |---|---|---:|---:|---:|---|---:|---:|---:|"
    );
    for (workload, asked_lines, asked_peer) in PARSE {
        let group = format!("parse/{workload}");
        let (Some(feed), Some(each)) = (speed(&group, "ssewire"), speed(&group, "ssewire-each"))
        else {
            continue;
        };
        let (name, ours) = if each >= feed {
            ("ssewire-each", each)
        } else {
            ("ssewire", feed)
        };
        let block_lines = speed(&group, "block-lines");
        let checked = speed(&group, "checked-lines");
        let lines = judged(ours, block_lines, Some(asked_lines));
        let checked_vs_lines = ratio(checked, block_lines);
        let ours_vs_checked = ratio(Some(ours), checked);
        let best = best_peer(&group, &is_parser_of_ours);
        let (peer, vs_peer) = best.clone().map_or(("-".into(), "-".into()), |(peer, p)| {
            (peer, judged(ours, Some(p), Some(asked_peer)))
        });
        let ask_in_lines = ratio(best.map(|(_, p)| asked_peer * p), block_lines);
        let each_feed = each / feed;
        let _ = writeln!(
            md,
            "| {workload} | {name} {ours:.0} MiB/s | {lines} | {checked_vs_lines} | {ours_vs_checked} | {peer} | {vs_peer} | {ask_in_lines} | {each_feed:.2} {} |",
            verdict(each_feed, 1.0)
        );
    }
    let _ = writeln!(
        md,
        "\n| encode workload | ours | × unchecked-pieces (asked) | checked-pieces × unchecked-pieces | ours × checked-pieces | best peer | × best peer (asked) |\n\
         |---|---|---:|---:|---:|---|---:|"
    );
    let encoder_of_ours = |name: &str| name == "ssewire";
    for (workload, asked_pieces, asked_peer) in ENCODE {
        let group = format!("encode/{workload}");
        let Some(ours) = speed(&group, "ssewire") else {
            continue;
        };
        let unchecked = speed(&group, "unchecked-pieces");
        let checked = speed(&group, "checked-pieces");
        let pieces = judged(ours, unchecked, Some(asked_pieces));
        let (checked_vs_unchecked, ours_vs_checked) =
            (ratio(checked, unchecked), ratio(Some(ours), checked));
        let (peer, vs_peer) = best_peer(&group, &encoder_of_ours)
            .map_or(("-".into(), "-".into()), |(peer, p)| {
                (peer, judged(ours, Some(p), asked_peer))
            });
        let _ = writeln!(
            md,
            "| {workload} | ssewire {ours:.0} MiB/s | {pieces} | {checked_vs_unchecked} | {ours_vs_checked} | {peer} | {vs_peer} |"
        );
    }
    md.push('\n');
}

/// A horizontal bar chart, log scale, one block of bars per benchmark group.
fn chart(groups: &[(String, Vec<(String, f64)>)]) -> String {
    const BAR: f64 = 14.0;
    const GAP: f64 = 18.0;
    const LEFT: f64 = 300.0;
    const WIDTH: f64 = 620.0;
    let max = groups
        .iter()
        .flat_map(|(_, bars)| bars.iter().map(|b| b.1))
        .fold(1.0f64, f64::max);
    let (lo, hi) = (1.0f64, 10f64.powf(max.log10().ceil()));
    let x = |v: f64| LEFT + WIDTH * (v.max(lo).log10() - lo.log10()) / (hi.log10() - lo.log10());
    let rows: usize = groups.iter().map(|(_, b)| b.len()).sum();
    let height = 40.0 + rows as f64 * BAR + groups.len() as f64 * GAP + 30.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" font-family="sans-serif" font-size="11">"#,
        LEFT + WIDTH + 80.0
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="10" y="18" font-size="14">Throughput, MiB/s (log scale); generated by benches/run.sh</text>"#
    );
    let mut decade = lo;
    while decade <= hi {
        let px = x(decade);
        let _ = writeln!(
            svg,
            r##"<line x1="{px}" y1="28" x2="{px}" y2="{}" stroke="#ddd"/><text x="{px}" y="{}" text-anchor="middle">{decade}</text>"##,
            height - 24.0,
            height - 10.0
        );
        decade *= 10.0;
    }
    let mut y = 40.0;
    for (group, bars) in groups {
        let _ = writeln!(
            svg,
            r#"<text x="10" y="{}" font-weight="bold">{group}</text>"#,
            y + 10.0
        );
        for (name, value) in bars {
            let color = match name.as_str() {
                n if REFERENCE_ROWS.contains(&n) => "#999",
                n if n.starts_with("ssewire") => "#d2691e",
                _ => "#4682b4",
            };
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{}" text-anchor="end">{name}</text><rect x="{LEFT}" y="{y}" width="{}" height="{}" fill="{color}"/><text x="{}" y="{}">{value:.0}</text>"#,
                LEFT - 6.0,
                y + BAR - 4.0,
                (x(*value) - LEFT).max(1.0),
                BAR - 3.0,
                x(*value) + 4.0,
                y + BAR - 4.0
            );
            y += BAR;
        }
        y += GAP;
    }
    svg.push_str("</svg>\n");
    svg
}
