//! Statistical building blocks shared by the forensic tests: goodness-of-fit statistics,
//! homogeneity of rates, sign tests and multiple-testing control. Pure functions over slices.

pub mod dip;
pub mod goodness_of_fit;
pub mod homogeneity;
pub mod moments;
pub mod multiple_testing;
pub mod proportions;
pub mod sign_test;
