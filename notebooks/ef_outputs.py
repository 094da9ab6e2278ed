"""Reading the outputs of `analyze` in the notebooks.

Where a run is (`EF_OUTPUT`), its results.json as a findings table, one finding, the station table
(stations.parquet) and where figures go. No statistics live here: every tested number comes from
results.json (schema in ../docs/results-schema.md). The recount helpers at the end only re-derive,
from stations.parquet, numbers that results.json reports, so that a notebook checks that the two
agree instead of trusting either.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import polars as pl

# Fields this module reads exist since results.json schema 3.0.0 (2.1.0 added the digit tests' simulated band;
# 3.0.0 removed or renamed fields these notebooks do not read).
SCHEMA_MAJOR, SCHEMA_MIN_MINOR = 3, 0


def output_root() -> Path:
    """The folder a run wrote (`analyze --output`): `EF_OUTPUT`, else ../output beside the notebooks."""
    return Path(os.environ.get("EF_OUTPUT", "../output")).resolve()


def figure_dir(notebook: str) -> Path:
    """Where a notebook saves its PNGs: `EF_FIGURES`, else <output>/notebook-figures/<notebook>."""
    default = output_root() / "notebook-figures" / notebook
    path = Path(os.environ.get("EF_FIGURES", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def region_label(region: list[str] | None) -> str:
    return "national" if region is None else " > ".join(region)


class Run:
    """One dataset folder of a run: results.json, stations.parquet."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        results = self.folder / "results.json"
        if not results.is_file():
            raise FileNotFoundError(
                f"{results} not found: run notebooks/run.sh (or `analyze --input ... --output "
                f"{self.folder.parent}`) first, or point EF_OUTPUT at the run's output folder"
            )
        with results.open(encoding="utf-8") as f:
            self.results = json.load(f)
        major, minor, _ = (int(x) for x in self.results["schema_version"].split("."))
        if major != SCHEMA_MAJOR or minor < SCHEMA_MIN_MINOR:
            raise ValueError(
                f"{results} has schema {self.results['schema_version']}; these notebooks read "
                f"{SCHEMA_MAJOR}.{SCHEMA_MIN_MINOR} or a later {SCHEMA_MAJOR}.x: rerun the analysis "
                "with the current tool"
            )
        self._stations: pl.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.results["dataset"]

    @property
    def stations(self) -> pl.DataFrame:
        if self._stations is None:
            self._stations = pl.read_parquet(self.folder / "stations.parquet")
        return self._stations

    def findings(self) -> pl.DataFrame:
        """Every finding as a row: test, subject, region, n, p, q, verdict, headline."""
        rows = [
            {
                "test": f["test_id"],
                "subject": f["subject"],
                "region": region_label(f["region"]),
                "n": f["n"],
                "p": f["p_value"],
                "q": f["q_value"],
                "verdict": f["verdict"],
                "headline": f["headline"],
            }
            for f in self.results["findings"]
        ]
        schema = {
            "test": pl.String,
            "subject": pl.String,
            "region": pl.String,
            "n": pl.Int64,
            "p": pl.Float64,
            "q": pl.Float64,
            "verdict": pl.String,
            "headline": pl.String,
        }
        return pl.DataFrame(rows, schema=schema)

    def finding(self, test_id: str, subject: str | None = None, region: list[str] | None = None) -> dict:
        """The one finding of `test_id` for `subject` (any when None) in `region` (None = national)."""
        hits = [
            f
            for f in self.results["findings"]
            if f["test_id"] == test_id
            and (subject is None or f["subject"] == subject)
            and f["region"] == region
        ]
        if len(hits) != 1:
            raise LookupError(
                f"{self.name}: {len(hits)} findings of {test_id} for {subject!r} in "
                f"{region_label(region)} (expected exactly one)"
            )
        return hits[0]

    @property
    def leader(self) -> str:
        """The candidate with most votes nationally (the turnout battery's leader)."""
        votes = self.results["totals"]["candidates"]
        return max(votes, key=lambda name: votes[name])


# --- Recounts for checking (not for results) ---------------------------------------------------


def second_digits(counts: np.ndarray) -> np.ndarray:
    """How many counts of at least 10 have each second significant digit 0-9."""
    c = counts[counts >= 10].astype(np.int64)
    lead = c.copy()
    while (lead >= 100).any():
        lead = np.where(lead >= 100, lead // 10, lead)
    return np.bincount(lead % 10, minlength=10)


def last_digits(counts: np.ndarray) -> np.ndarray:
    """How many counts of at least 10 end in each digit 0-9."""
    c = counts[counts >= 10].astype(np.int64)
    return np.bincount(c % 10, minlength=10)


def dithered_ratio(num: np.ndarray, den: np.ndarray, seed: int) -> np.ndarray:
    """num/den with uniform noise in (-0.5, 0.5) on both, for charts only (Kobak et al. 2016): small
    denominators then make no spikes at simple fractions. The report dithers the same way (its own
    random stream, so single stations differ; histograms agree to the noise)."""
    rng = np.random.default_rng(seed)
    a = num.astype(float) + rng.random(len(num)) - 0.5
    b = den.astype(float) + rng.random(len(den)) - 0.5
    return np.maximum(np.maximum(a, 0.0) / np.maximum(b, 0.5), 0.0)


def whole_percentage(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """100·num/den lies within ±0.05 points of a whole number, decided in integers as in
    results.json's `integer_percentages` (|2000·num − 20·k·den| ≤ den for the nearest k)."""
    num = num.astype(np.int64)
    den = den.astype(np.int64)
    k = np.rint(100 * num / den).astype(np.int64)
    return np.abs(2000 * num - 20 * k * den) <= den


def skip_remaining_cells(reason: str) -> None:
    """Turn every later cell of this notebook into a no-op that says why, so that a notebook whose data
    are absent runs to the end without error (headless or in Jupyter). Restart the kernel to undo."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:  # plain Python: nothing to skip
        return
    note = "skipped: " + reason.split(":")[0].split(".")[0]

    def skip(lines: list[str]) -> list[str]:
        return [f"print({note!r})\n"]

    shell.input_transformers_post.append(skip)
    print(f"skipped: {reason}")
