//! Statistical building blocks shared by the forensic tests: goodness-of-fit statistics,
//! homogeneity of rates, sign tests, multiple-testing control and the one binomial sampler.
//! Pure functions over slices (the sampler takes the caller's generator).

pub mod dip;
pub mod goodness_of_fit;
pub mod homogeneity;
pub mod moments;
pub mod multiple_testing;
pub mod proportions;
pub mod sampling;
pub mod sign_test;
pub mod tail;
