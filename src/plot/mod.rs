//! PNG rendering of [`FigureSpec`]s with plotters (bitmap backend, embedded font).
//!
//! Forensic tests describe figures in `crate::figure`; this module is the only place that knows
//! how they look. Entry point: [`render_png`]. Layout:
//! - `single`: the stand-alone bar chart (`FigureSpec::Bars`, 1000 px wide);
//! - `grid`: small multiples (`FigureSpec::SmallMultiples`) sharing one y scale;
//! - `bars`: one panel's bars, null band and expectation markers (used by both);
//! - `histogram`: counts over bins (`FigureSpec::Histogram`), filled main series, step
//!   outlines, markers; readable at 1,000 bins;
//! - `heatmap`: 2D histograms such as the election fingerprint (`FigureSpec::Heatmap`), log
//!   colour scale with a viridis-like ramp, colour bar;
//! - `lines`: curves on shared axes (`FigureSpec::Lines`), solid or dashed;
//! - `panel_grid`: grids of histogram/heatmap/line panels (`FigureSpec::Grid`), optionally on
//!   shared scales; `grid_cell`: one cell of such a grid and the scales its panels share;
//! - `colorbar`: the heatmaps' log colour scale (viridis-like ramp) and colour bar;
//! - `page`: title, legend and caption frame of the stand-alone continuous charts;
//! - `axes`: continuous axes (nice ticks, thousands separators, pixel mapping, drawing);
//! - `marks`: series colours and vertical reference markers; `draw`: clipped, dashed and wide
//!   pixel lines and rectangles;
//! - `legend`: the legend rows; `scale`: the honest 0-based percent y axis;
//! - `text`: wrapping, truncation and glyph-by-glyph text drawing;
//! - `font`: the embedded DejaVu Sans font, its registration and glyph metrics.
//!
//! The PNG is first written to a hidden temporary file next to `path` and then renamed, so a
//! failed render never leaves a half-written figure behind and `path` need not end in `.png`.

mod axes;
mod bars;
mod colorbar;
mod draw;
mod font;
mod grid;
mod grid_cell;
mod heatmap;
mod histogram;
mod legend;
mod lines;
mod marks;
mod page;
mod panel_grid;
mod scale;
mod single;
mod text;

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{anyhow, Context};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::FigureSpec;

/// Drawing surface every part draws on.
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Observed bars: a calm blue.
const OBSERVED: RGBColor = RGBColor(76, 120, 168);
/// Observed bars of highlighted (deviating) panels: a warm orange.
const HIGHLIGHT: RGBColor = RGBColor(228, 108, 38);
/// Text in the highlight colour, dark enough to read on white.
const HIGHLIGHT_TEXT: RGBColor = RGBColor(178, 72, 12);
/// Null expectation markers and line.
const EXPECTED: RGBColor = RGBColor(25, 25, 25);
/// 95 % null band fill (drawn translucent over the bar).
const BAND_FILL: RGBAColor = RGBAColor(110, 110, 110, 0.32);
/// 95 % null band outline.
const BAND_EDGE: RGBAColor = RGBAColor(70, 70, 70, 0.75);
/// Body text.
const TEXT: RGBColor = RGBColor(30, 30, 30);
/// Secondary text (captions).
const SOFT_TEXT: RGBColor = RGBColor(70, 70, 70);
/// Axis lines and "no data" notes.
const AXIS: RGBColor = RGBColor(110, 110, 110);
/// Horizontal grid lines.
const GRID: RGBColor = RGBColor(228, 228, 228);

/// Render one figure to a PNG file at `path` (parent folder exists).
pub fn render_png(figure: &FigureSpec, path: &Path) -> anyhow::Result<()> {
    render_inner(figure, path).with_context(|| format!("rendering figure to {}", path.display()))
}

fn render_inner(figure: &FigureSpec, path: &Path) -> anyhow::Result<()> {
    font::ensure_registered()?;
    let tmp = temp_sibling(path)?;
    let result = draw_file(figure, &tmp).and_then(|()| {
        std::fs::rename(&tmp, path).with_context(|| format!("moving {} into place", tmp.display()))
    });
    if result.is_err() {
        // Best effort: the temporary file may not even exist.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Draws `figure` into a new PNG file at `file` (which must end in `.png`).
fn draw_file(figure: &FigureSpec, file: &Path) -> anyhow::Result<()> {
    match figure {
        FigureSpec::Bars(panel) => {
            let layout = single::Layout::new(panel);
            let root = BitMapBackend::new(file, layout.size()).into_drawing_area();
            root.fill(&WHITE).ctx("filling the background")?;
            single::draw(&root, &layout, panel)?;
            root.present().ctx("writing the PNG file")
        }
        FigureSpec::SmallMultiples {
            title,
            caption,
            panels,
        } => {
            let layout = grid::Layout::new(title, caption, panels)?;
            let root = BitMapBackend::new(file, layout.size()).into_drawing_area();
            root.fill(&WHITE).ctx("filling the background")?;
            grid::draw(&root, &layout, panels)?;
            root.present().ctx("writing the PNG file")
        }
        FigureSpec::Histogram(panel) => {
            histogram::check(panel)?;
            draw_page(file, &histogram::page(panel), |area| {
                let max = histogram::y_max([panel]);
                histogram::draw_panel(area, panel, max, &histogram::STANDALONE)
            })
        }
        FigureSpec::Heatmap(panel) => {
            heatmap::check(panel)?;
            draw_page(file, &heatmap::page(panel), |area| {
                let scale = colorbar::ColorScale::for_panels([panel]);
                heatmap::draw_panel(area, panel, scale.as_ref(), &heatmap::STANDALONE, true)
            })
        }
        FigureSpec::Lines(panel) => draw_page(file, &lines::page(panel), |area| {
            let y = lines::y_range(panel);
            lines::draw_panel(area, panel, y, &lines::STANDALONE)
        }),
        FigureSpec::Grid {
            title,
            caption,
            shared_scale,
            panels,
        } => {
            let layout = panel_grid::Layout::new(title, caption, *shared_scale, panels)?;
            let root = BitMapBackend::new(file, layout.size()).into_drawing_area();
            root.fill(&WHITE).ctx("filling the background")?;
            panel_grid::draw(&root, &layout, panels)?;
            root.present().ctx("writing the PNG file")
        }
    }
}

/// A stand-alone continuous chart: the page frame, then `chart` in the area it leaves.
fn draw_page(
    file: &Path,
    page: &page::Page,
    chart: impl FnOnce(&Area) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let root = BitMapBackend::new(file, page.size()).into_drawing_area();
    root.fill(&WHITE).ctx("filling the background")?;
    let area = page.draw(&root)?;
    chart(&area)?;
    root.present().ctx("writing the PNG file")
}

/// A unique hidden `.png` path in the same folder as `path`.
fn temp_sibling(path: &Path) -> anyhow::Result<PathBuf> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("figure path has no file name"))?
        .to_string_lossy();
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp_name = format!(".{name}.{}-{unique}.partial.png", std::process::id());
    Ok(path.with_file_name(tmp_name))
}

/// Turns plotters' errors (which are not always `Send + Sync + 'static`) into `anyhow` errors.
trait PlotCtx<T> {
    fn ctx(self, what: &str) -> anyhow::Result<T>;
}

impl<T, E: Display> PlotCtx<T> for Result<T, E> {
    fn ctx(self, what: &str) -> anyhow::Result<T> {
        self.map_err(|e| anyhow!("plotters failed while {what}: {e}"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::figure::BarPanel;

    /// A unique temp folder for one test, removed again when dropped.
    pub(crate) struct TempDir(pub PathBuf);

    impl TempDir {
        pub(crate) fn new(test: &str) -> Self {
            let name = format!("ef-plot-{}-{test}", std::process::id());
            let dir = std::env::temp_dir().join(name);
            std::fs::create_dir_all(&dir).expect("create temp dir");
            Self(dir)
        }

        pub(crate) fn join(&self, file: &str) -> PathBuf {
            self.0.join(file)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Checks the PNG signature and returns (width, height) from the IHDR chunk.
    pub(crate) fn png_size(path: &Path) -> (u32, u32) {
        let bytes = std::fs::read(path).expect("read png");
        assert!(bytes.len() > 24, "file too short");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[12..16], b"IHDR");
        let be = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        (be(16), be(20))
    }

    /// Digit shares around 10 %, null 10 % with band 9.4..10.6 %.
    pub(crate) fn digit_panel(title: &str, seed: u64, highlight: bool) -> BarPanel {
        let observed = (0..10u64)
            .map(|d| {
                let wiggle = ((d * 7 + seed * 13) % 11) as f64 / 10.0 - 0.5; // -0.5..0.5
                0.1 + wiggle * if highlight { 0.03 } else { 0.01 }
            })
            .collect();
        BarPanel {
            title: title.to_string(),
            caption: "Share of polling stations by last digit of the turnout count. \
                      Grey boxes show where 95% of shares fall if digits are uniform."
                .to_string(),
            x_label: "last digit".to_string(),
            y_label: "share of stations".to_string(),
            categories: (0..10).map(|d| d.to_string()).collect(),
            observed,
            expected: vec![0.1; 10],
            band_low: vec![0.094; 10],
            band_high: vec![0.106; 10],
            highlight,
            finding: None,
            expected_label: "expected under null".into(),
            band_label: "95% band under null".into(),
        }
    }

    #[test]
    fn bars_figure_renders_png_of_expected_size() {
        let dir = TempDir::new("bars");
        let path = dir.join("digits.png");
        let fig = FigureSpec::Bars(digit_panel("Last digit of turnout", 1, false));
        render_png(&fig, &path).expect("render");
        assert_eq!(png_size(&path), (1000, 620));
    }

    #[test]
    fn small_multiples_render_png_of_expected_size() {
        let dir = TempDir::new("grid");
        let path = dir.join("regions.png");
        let panels: Vec<BarPanel> = (0..24)
            .map(|i| digit_panel(&format!("Region {i} (n = {})", 100 + i), i, i % 7 == 3))
            .collect();
        let (title, caption) = ("Last digit by region", "Each panel is one region.");
        let expected = grid::Layout::new(title, caption, &panels)
            .expect("layout")
            .size();
        let fig = FigureSpec::SmallMultiples {
            title: title.to_string(),
            caption: caption.to_string(),
            panels,
        };
        render_png(&fig, &path).expect("render");
        assert_eq!(png_size(&path), expected);
        assert_eq!(expected.0, 1680, "5 columns of 320 px plus margins");
        assert!(
            expected.1 > 5 * 230,
            "5 rows of 230 px plus title and caption"
        );
    }

    #[test]
    fn empty_and_nan_figures_render_without_panic() {
        let dir = TempDir::new("degenerate");
        let mut nan = digit_panel("NaN everywhere", 0, false);
        nan.observed = vec![f64::NAN; 10];
        nan.expected = vec![f64::NAN; 10];
        nan.band_low = vec![f64::NAN; 10];
        let mut empty = digit_panel("", 0, true);
        empty.categories.clear();
        empty.caption.clear();
        let mut zeros = digit_panel("all zero", 0, false);
        zeros.observed = vec![0.0; 10];
        zeros.expected = vec![0.0; 3]; // shorter than categories
        let figs = [
            FigureSpec::Bars(nan.clone()),
            FigureSpec::Bars(empty.clone()),
            FigureSpec::Bars(zeros.clone()),
            FigureSpec::SmallMultiples {
                title: String::new(),
                caption: String::new(),
                panels: vec![],
            },
            FigureSpec::SmallMultiples {
                title: "mixed".into(),
                caption: "x".into(),
                panels: vec![nan, empty, zeros],
            },
        ];
        for (i, fig) in figs.iter().enumerate() {
            let path = dir.join(&format!("degenerate-{i}.png"));
            render_png(fig, &path).expect("render");
            let (w, h) = png_size(&path);
            assert!(w >= 320 && h >= 200, "{w}x{h}");
        }
    }

    #[test]
    fn path_without_png_extension_still_gets_a_png() {
        let dir = TempDir::new("ext");
        let path = dir.join("figure.bin");
        render_png(&FigureSpec::Bars(digit_panel("t", 2, true)), &path).expect("render");
        assert_eq!(png_size(&path), (1000, 620));
        let leftovers = std::fs::read_dir(&dir.0)
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".partial."))
            .count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn renders_concurrently_from_several_threads() {
        // The report writer renders figures in parallel (rayon).
        let dir = TempDir::new("threads");
        std::thread::scope(|scope| {
            for t in 0..4u64 {
                let path = dir.join(&format!("t{t}.png"));
                scope.spawn(move || {
                    let fig = FigureSpec::Bars(digit_panel("parallel", t, t % 2 == 0));
                    render_png(&fig, &path).expect("render");
                    assert_eq!(png_size(&path), (1000, 620));
                });
            }
        });
    }

    #[test]
    fn missing_folder_is_an_error_not_a_panic() {
        let dir = TempDir::new("missing");
        let path = dir.join("no/such/folder/f.png");
        let err = render_png(&FigureSpec::Bars(digit_panel("t", 0, false)), &path);
        let msg = format!("{:#}", err.expect_err("must fail"));
        assert!(msg.contains("f.png"), "{msg}");
    }
}
