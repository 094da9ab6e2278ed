//! The announcement family: tests of announced totals (a `<dataset>.announced.toml` beside the
//! tally files), alone and against the tally sheets. Not applicable without announcements.

pub mod announcement_vs_tallies;
pub mod percentages_first;
