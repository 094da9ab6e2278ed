//! Demo images of the renderers for looking at the charts, not tests of the battery: realistic
//! figures of the turnout battery (`figures`) and degenerate inputs (`edge_cases`). Both are
//! `#[ignore]`d: `cargo test --test plot_demo -- --ignored` writes them to /tmp/plot-demo.

mod edge_cases;
mod figures;
