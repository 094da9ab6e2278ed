//! The digit family: tests of the digits of station counts (leading digits against Benford's laws,
//! last digits against the smooth-count expectation, 0/5 endings, repeated and adjacent pairs).
//!
//! Shared machinery: `laws` (digit extraction, the laws from their formulas, goodness-of-fit and
//! the smooth-count expectations), `null` (the null of one subject, shared through the battery's
//! cache, with its moments from `exact` or, with `--simulate-digit-nulls`, from `simulated`) and `findings` (the loop every digit test runs: subjects,
//! national and regional groups, charts). Each remaining file is one test, registered in
//! `forensics::ALL`.

pub mod exact;
pub mod findings;
pub mod laws;
pub mod null;
pub mod percent_grid;
pub mod resolution;
pub mod simulated;

pub mod benford_first_digit;
pub mod benford_second_digit;
pub mod digit_pairs;
pub mod last_digit;
pub mod last_digit_mean;
pub mod last_two_digits;
pub mod second_digit_mean;
pub mod zero_five_endings;
