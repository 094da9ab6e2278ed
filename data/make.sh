#!/usr/bin/env bash
# Regenerates the synthetic sample elections in data/ with the tool's own generator.
# Same commands, same bytes: tests/sample_data.rs checks that the shipped files match.
# ANALYZE overrides the command (default: cargo run --release); OUT writes elsewhere.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "${OUT:-$root/data}"
analyze=${ANALYZE:-"cargo run --quiet --release --manifest-path $root/Cargo.toml --"}
# A clean election: 5,000 stations, 5 candidates, English headers, comma, UTF-8.
$analyze simulate --output clean.csv --seed 1
# The same election (same seed, so untouched stations are identical) with Klimek-style ballot
# stuffing and vote stealing for the leader (f_i = 0.10, f_e = 0.02) and counts invented by people in
# half of region 2's stations; written the way many Latin American authorities publish: Spanish
# headers, semicolons, Windows-1252, '.' thousands separators, CRLF, gzip.
$analyze simulate --output tampered.csv.gz --seed 1 --incremental-fraud 0.1 --extreme-fraud 0.02 \
  --fabricate-region 2 --fabricate-share 0.5 --language es --delimiter ';' --encoding windows-1252 \
  --thousands-separator . --crlf
# A small clean election in long layout (one row per station and candidate), UTF-8 with BOM and no
# mapping file: the tool infers the mapping from the column names.
$analyze simulate --output long_inferred.csv --seed 3 --stations 1500 --candidates 3 --regions 4 \
  --layout long --bom --no-mapping
# Two sources of the same 2,000 tables, as scanned tally sheets and their QR codes: the QR codes
# (the second source, whose mapping declares [reconcile] with = "scanned_sheets") carry 40 honest
# reading errors of 1-9 votes spread over all regions, 25 edits in Llanos Süd moving 10-30 % of the
# strongest other candidate's votes to the leader, keys without leading zeros (R1-D1-7 for
# R01-D01-0007) and 5 tables missing from each source; qr_codes.planted.csv lists every planted
# difference (source_reconciliation must find exactly these).
$analyze simulate --output scanned_sheets.csv.gz --seed 7 --stations 2000 --regions 6 --candidates 4 \
  --second-source qr_codes.csv.gz --transcription-errors 40 --favour-edits 25 \
  --favour-region 'Llanos Süd' --missing-tables 5
