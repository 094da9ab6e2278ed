//! The turnout family: tests of turnout and vote shares per station (their distributions, their
//! relation, the turnout × share fingerprint, whole-percentage spikes, extreme stations and the
//! Klimek et al. model fit).
//!
//! Shared machinery: `data` (station groups per region level, the leader and major candidates,
//! dithering, per-task seeding), `distribution` (the loop of the two distribution tests) and
//! `klimek_fit` (the simulation fit behind `klimek_model`); `anomaly_mixture` keeps its EM fit in
//! its own sub-folder. Each remaining file is one test,
//! registered in `forensics::ALL`.

pub mod data;
pub mod distribution;
pub mod klimek_fit;
pub mod strata;

pub mod anomaly_mixture;
pub mod clean_core_excess;
pub mod extreme_stations;
pub mod fingerprint;
pub mod integer_percentages;
pub mod klimek_model;
pub mod rozenas_spikes;
pub mod turnout_distribution;
pub mod turnout_share_relation;
pub mod vote_share_distribution;
