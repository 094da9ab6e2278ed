//! Fuzz target: the loader and the mapping on arbitrary bytes.
//!
//! The first byte chooses what the rest is: a data file with an inferred mapping, with a fixed
//! wide or long mapping (thousands separator, null markers and an exclude rule included), with a
//! mapping that is itself fuzzed (`<mapping TOML> 0xFF <data>`), or the data gzip-compressed
//! (whole or truncated). Every input must end in `Ok` with a balanced ledger or in an `Err`:
//! a panic, a hang or unbounded memory is a bug (libFuzzer reports all three).
#![no_main]

use std::io::Write;
use std::path::{Path, PathBuf};

use election_forensics::mapping::Mapping;
use election_forensics::pipeline::load_in_memory;
use libfuzzer_sys::fuzz_target;

const WIDE: &str = r#"
[format]
thousands_separator = "."
null_values = ["-"]
[station]
key = ["region", "station"]
[[regions]]
column = "region"
[counts]
registered = "registered"
valid = "valid"
null = "null"
[[candidates]]
column = "ana"
name = "Ana"
[[candidates]]
column = "bea"
[[exclude]]
column = "station"
equals = ["X"]
reason = "test"
"#;

const LONG: &str = r#"
[dataset]
layout = "long"
[station]
key = ["station"]
[[regions]]
column = "region"
[counts]
registered = "registered"
[long]
candidate_column = "candidate"
votes_column = "votes"
"#;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn run(mapping: Option<&Mapping>, data: Vec<u8>) {
    let file = vec![(PathBuf::from("fuzz.csv"), data)];
    if let Ok(built) = load_in_memory("fuzz", file, mapping) {
        let l = &built.ledger;
        assert_eq!(l.rows_read, l.rows_analysed + l.rows_excluded());
        assert!(built.tally.n_stations() as u64 <= l.rows_analysed);
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let path = Path::new("fuzz.mapping.toml");
    let wide = Mapping::from_text(WIDE, path).unwrap();
    let long = Mapping::from_text(LONG, path).unwrap();
    match mode % 6 {
        0 => run(None, rest.to_vec()),
        1 => run(Some(&wide), rest.to_vec()),
        2 => run(Some(&long), rest.to_vec()),
        3 => {
            let split = rest.iter().position(|&b| b == 0xFF).unwrap_or(rest.len());
            let text = String::from_utf8_lossy(&rest[..split]);
            if let Ok(m) = Mapping::from_text(&text, path) {
                run(Some(&m), rest.get(split + 1..).unwrap_or(&[]).to_vec());
            }
        }
        4 => run(Some(&wide), gzip(rest)),
        _ => {
            // Truncated gzip: cut the stream at a point chosen by the next byte.
            let Some((&cut, data)) = rest.split_first() else {
                return;
            };
            let mut z = gzip(data);
            z.truncate(z.len() * usize::from(cut) / 256);
            run(None, z);
        }
    }
});
