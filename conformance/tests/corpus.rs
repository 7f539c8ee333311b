//! The corpus against itself (well-formed, named by path), against the reference model, and
//! against this project's parser at both levels under every chunking.

use ssewire_conformance::{
    parse_with_ssewire, reference, Case, Chunkings, Output, Runner, CASE_FILES,
};
use ssewire_parser::{parse_retry, Field, FieldParser, FieldStep, Limits};

#[test]
fn every_case_is_named_by_its_path_and_cites_a_source() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    let mut on_disk = Vec::new();
    for area in std::fs::read_dir(&dir).unwrap() {
        let area = area.unwrap().path();
        for file in std::fs::read_dir(&area).unwrap() {
            let file = file.unwrap().path();
            let rel = file.strip_prefix(&dir).unwrap().with_extension("");
            on_disk.push(rel.to_str().unwrap().to_owned());
        }
    }
    on_disk.sort();
    let embedded: Vec<&str> = CASE_FILES.iter().map(|(name, _)| *name).collect();
    let missing: Vec<_> = on_disk
        .iter()
        .filter(|n| !embedded.contains(&n.as_str()))
        .collect();
    let extra: Vec<_> = embedded
        .iter()
        .filter(|n| !on_disk.iter().any(|d| d == *n))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "not embedded: {missing:?}; not on disk: {extra:?}"
    );
    assert_eq!(embedded.len(), on_disk.len());
    for case in Case::all() {
        assert!(
            CASE_FILES.iter().any(|(name, _)| *name == case.name),
            "{} is not named by its path",
            case.name
        );
        assert!(
            case.source.starts_with("spec:#")
                || case.source.starts_with("wpt:eventsource/")
                || case.source.starts_with("fuzz:"),
            "{}: unknown source {:?}",
            case.name,
            case.source
        );
    }
    assert!(Case::all().len() >= 150);
}

#[test]
fn the_reference_model_agrees_with_every_expectation() {
    let mut wrong = Vec::new();
    for case in Case::all() {
        let got = reference::parse(&case.input);
        if got != case.expect {
            wrong.push(format!("{}: reference gives {got:?}", case.name));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_event_parser_passes_every_case_under_every_chunking() {
    Runner::new()
        .chunkings(Chunkings::EXHAUSTIVE)
        .run(parse_with_ssewire)
        .assert();
}

/// The spec's interpretation steps applied to `FieldParser`'s fields: the field level must be
/// just as chunking-proof and exact as the event level built on the same machinery.
fn parse_with_field_parser(chunks: &[&[u8]]) -> Vec<Output> {
    let mut fields = FieldParser::with_limits(Limits::UNLIMITED);
    let (mut out, mut data, mut event_type) = (Vec::new(), None::<String>, String::new());
    let (mut id_buffer, mut last_event_id) = (String::new(), String::new());
    for chunk in chunks {
        let mut input = *chunk;
        loop {
            let (field, used) = fields.feed(input);
            input = &input[used..];
            match field.expect("no limits") {
                FieldStep::NeedInput => break,
                FieldStep::Field(Field::Data(value)) => {
                    let data = data.get_or_insert_with(String::new);
                    data.push_str(value);
                    data.push('\n');
                }
                FieldStep::Field(Field::EventType(value)) => event_type = value.to_owned(),
                FieldStep::Field(Field::Id(value)) if !value.contains('\0') => {
                    id_buffer = value.to_owned()
                }
                FieldStep::Field(Field::Retry(value)) => {
                    out.extend(parse_retry(value).map(Output::Retry))
                }
                FieldStep::Field(Field::BlankLine) => {
                    last_event_id.clone_from(&id_buffer);
                    if let Some(mut data) = data.take() {
                        data.pop();
                        let kind = if event_type.is_empty() {
                            "message"
                        } else {
                            &event_type
                        };
                        out.push(Output::event(kind, &data, &last_event_id));
                    }
                    event_type.clear();
                }
                FieldStep::Field(Field::Id(_) | Field::Comment(_) | Field::Unknown { .. }) => {}
            }
        }
    }
    fields.finish();
    out
}

#[test]
fn the_field_parser_passes_every_case_under_every_chunking() {
    Runner::new()
        .chunkings(Chunkings::EXHAUSTIVE)
        .run(parse_with_field_parser)
        .assert();
}

#[test]
fn default_limits_change_nothing_on_the_corpus() {
    // The adapter runs with the default limits (16 MiB, the protocol's floor); no case comes near.
    let report = Runner::new().chunkings(Chunkings::QUICK).run(|chunks| {
        let mut parser = ssewire_parser::Parser::new();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.feed_each(chunk, |step| {
                match step.expect("default limits are not hit") {
                    ssewire_parser::Step::Event(e) => {
                        out.push(Output::event(e.event_type(), e.data(), e.last_event_id()))
                    }
                    ssewire_parser::Step::Retry(ms) => out.push(Output::Retry(ms)),
                    ssewire_parser::Step::NeedInput => {}
                }
            });
        }
        out
    });
    report.assert();
}
