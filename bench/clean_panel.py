"""Clean panel: false-flag rates of the battery on HONEST elections of many shapes.

Driven by bench/clean_panel.sh (see its header for usage); three subcommands:

  python3 bench/clean_panel.py generate  --regime R --seeds 1-20 --stations 3000 --dir D
        writes D/<seed>/<R>.csv and D/<seed>/<R>.mapping.toml, one dataset per folder
  python3 bench/clean_panel.py wisconsin --src WEC.csv --dir D
        splits the Wisconsin reporting-unit file into six elections, D/<k>/wi_<year>_<office>.csv (+ mapping)
  python3 bench/clean_panel.py summarise --out O [--times T] [--results F]
        reads O/<regime>/<seed>/<dataset>/results.json (+ O/<regime>/<seed>.log), prints the tables

Generator (numpy only, independent of `analyze simulate`). Every count is an honest random draw, nothing is
manipulated. Per station: registered voters R (the regime decides how), turnout t = logistic(region + district +
station noise), ballots = Binomial(R, t), null = Binomial(ballots, p_null of the region), blank =
Binomial(ballots - null, p_blank of the region), valid = ballots - null - blank, candidate votes =
Multinomial(valid, shares), shares = Dirichlet(conc * district mean) where district means = Dirichlet(400 * region
mean) and region means = Dirichlet(200 * national base) unless a regime sets them. Default 3,000 stations, 5
candidates, 12 regions of 3-6 districts (region and district levels in the mapping). Each dataset gets its own
np.random.default_rng([seed, crc32(regime)]) (the regime in the seed so that regimes do not share draws).

Regimes (why each resembles real files):
  narrow_sizes      R ~ U{80..200}: small, similar tables (Bolivia/Venezuela-like rolls of a few hundred, Russian
                    village UIKs); registered-voter digits span barely one order of magnitude.
  mid_sizes         R ~ U{200..400}: mid-sized tables (Latin American mesas, Eastern European stations).
  lognormal_sizes   R = round(lognormal(median 400, sigma 1.3)) clipped to [20, 5000], so ~1 % of stations pile up
                    at 20 and ~3 % at 5,000 (US precincts / wards: a few voters in a township, thousands in a
                    city ward; clipping mimics minimum/maximum precinct sizes).
  lognormal_unclipped  control for lognormal_sizes: the same log-normal, values outside [20, 5000] redrawn
                    instead of clipped (a truncated log-normal: the same range, no pile-up at 20 and 5,000), to
                    tell the wide size range from the pile-ups at the clip values.
  table_cap         voting centres of log-normal size (median 1,100, sigma 0.8, 30..10,000) whose roll is cut into
                    tables of at most 600 registered voters by FILLING: consecutive blocks of 600 names, the
                    remainder in the last table (1,450 -> 600, 600, 250), except that a remainder under 100 is
                    shared evenly with the previous table (1,250 -> 600, 325, 325) so that no table is tiny. This
                    is the "cut the alphabetical roll into books of N names" practice (Bolivia 2019: tables
                    filled up to 240, half of them at 220-231, per src/forensics/battery.rs); TABLE_SPLIT=even
                    switches to an even split (484/483/483), the rule for Mexico's contiguous casillas.
                    Tables of one centre share its turnout and shares, plus small table noise
                    (logit sd 0.05, Dirichlet concentration 800 around the centre's shares).
  allocated_rolls   registered voters set administratively: regions 1-4 round the roll to a multiple of 10,
                    regions 5-8 cap it at exactly 1,000 (underlying median 900, so ~40 % of their stations sit at
                    1,000), regions 9-12 are ordinary (log-normal, median 700).
  overdispersed     shares strongly overdispersed: station Dirichlet concentration 7 (vs 150), so the 9 % party
                    (national share ~9 %) has many zero or tiny counts (median count ~20); sizes log-normal
                    (median 650, sigma 0.5). Real small parties with a local base look like this.
  partial_candidacy 6 columns: the largest party (cand_a) does not stand in the last 2 of the 12 regions (0 votes
                    in every station there), and a sister party (cand_f, own column) stands only there with the
                    same strength (CDU/CSU in Germany; regional lists).
  polarized_regions regions 1-6: leader share ~75 %, turnout ~70 %; regions 7-12: leader 30 %, turnout 55 %
                    (party strongholds: Quebec, Scotland, Catalonia, the two halves of Ukraine or Bolivia).
  urban_rural       within every region, urban stations (~45 %; R median 1,000, turnout ~50 %, leader ~32 %) and
                    rural ones (R median 250, turnout ~75 %, leader ~52 %): a bimodal turnout that station type
                    (not in the file) explains; real for most countries (Russia, Turkey, Poland, the US).
  small_regions     30 regions of 100-300 stations each (x stations/3000), 2-4 districts each; regional tests
                    then run on few stations each (small provinces, departments, counties).
  big               1,000,000 stations (BIG_STATIONS), 10 candidates, 32 regions, log-normal sizes (median 500,
                    sigma 0.9, truncated to 20..8,000 by redrawing, so no pile-up), Dirichlet shares: a
                    national-scale file (India, Indonesia, the US by precinct); every tiny deviation from the
                    model is visible at this n. The tool caps stations x replicates (--max-station-draws), so
                    it uses 200 replicates here.
  wisconsin         (not generated) the six Wisconsin elections 2012-2022 by reporting unit, a real clean
                    reference: county = region, (county, rep_unit) = station, candidates dem, rep, other = total -
                    rep - dem, valid = total; no registered voters, no ballots cast (the tool derives ballots
                    cast = valid; the turnout tests are not applicable). Units with total 0 (they report jointly
                    with another unit) are excluded by `[checks] zero_ballots = "exclude"`. Seed = election number.
"""
import argparse
import collections
import csv
import json
import math
import os
import pathlib
import re
import sys
import zlib

REGIMES = ["narrow_sizes", "mid_sizes", "lognormal_sizes", "lognormal_unclipped", "table_cap", "allocated_rolls",
           "overdispersed",
           "partial_candidacy", "polarized_regions", "urban_rural", "small_regions", "big"]

REGION_NAMES = ["Northmoor", "Eastvale", "Southport", "Westfield", "Highland", "Lowmarsh", "Riverside", "Lakeshore",
                "Pinecrest", "Stonebridge", "Ashford", "Coldwater", "Redcliff", "Greywood", "Fairhaven", "Oakdale",
                "Millbrook", "Brightwater", "Foxhill", "Elmstead", "Marshgate", "Kingsley", "Hollowmere", "Sandown",
                "Thornbury", "Wexcombe", "Yarrow", "Blackrock", "Deepdale", "Ironbridge", "Larkspur", "Mossgiel"]
PARTY_NAMES = ["Party A", "Party B", "Party C", "Party D", "Party E", "Party F", "Party G", "Party H", "Party I",
               "Party J"]


# ----------------------------------------------------------------------------------------------------- generator
def _logit(p):
    return math.log(p / (1 - p))


def _dirichlet_rows(rng, alpha):
    """One Dirichlet draw per row of alpha (N x K), vectorised through gamma variates; alpha 0 gives share 0."""
    import numpy as np
    g = rng.gamma(np.maximum(alpha, 0.0))
    s = g.sum(axis=1, keepdims=True)
    s[s == 0] = 1.0
    return g / s


def _split_regions(rng, n, nreg, lo=None, hi=None):
    """Stations per region: uneven (weights U(0.5, 1.5)), or U{lo..hi} when given."""
    import numpy as np
    if lo is not None:
        return rng.integers(lo, hi + 1, nreg)
    w = rng.uniform(0.5, 1.5, nreg)
    c = np.floor(w / w.sum() * n).astype(int)
    c[: n - c.sum()] += 1
    return c


def _geography(rng, counts, dmin=3, dmax=6):
    """region index and district index (within region) of every station; districts of uneven size."""
    import numpy as np
    reg, dist = [], []
    ndist = []
    for r, c in enumerate(counts):
        nd = int(rng.integers(dmin, dmax + 1))
        ndist.append(nd)
        w = rng.uniform(0.5, 1.5, nd)
        d = rng.choice(nd, size=c, p=w / w.sum())
        d.sort()
        reg.append(np.full(c, r))
        dist.append(d)
    return np.concatenate(reg), np.concatenate(dist), ndist


def _lognormal_int(rng, n, median, sigma, lo, hi, redraw=False):
    """Rounded log-normal sizes in [lo, hi]: clipped (a pile-up at lo and hi), or with redraw=True values outside
    redrawn (a truncated log-normal, no pile-up)."""
    import numpy as np
    r = np.rint(median * np.exp(sigma * rng.standard_normal(n)))
    if not redraw:
        return np.clip(r, lo, hi).astype(np.int64)
    bad = (r < lo) | (r > hi)
    while bad.any():
        r[bad] = np.rint(median * np.exp(sigma * rng.standard_normal(int(bad.sum()))))
        bad = (r < lo) | (r > hi)
    return r.astype(np.int64)


class Election:
    """Assembles stations: region/district indices, registered, turnout logits and share matrices."""

    def __init__(self, rng, reg, dist, ndist, nreg, base, region_names=None, conc=150.0,
                 turnout_mean=0.62, region_turnout=None, region_shares=None):
        import numpy as np
        self.rng, self.reg, self.dist, self.ndist, self.nreg = rng, reg, dist, ndist, nreg
        self.base = np.asarray(base, float)
        self.k = len(base)
        self.region_names = region_names or [REGION_NAMES[i % len(REGION_NAMES)] + ("" if i < len(REGION_NAMES) else f" {i // len(REGION_NAMES) + 1}") for i in range(nreg)]
        # region means
        if region_shares is None:
            region_shares = rng.dirichlet(self.base * 200, size=nreg)
        self.region_shares = np.asarray(region_shares, float)
        if region_turnout is None:
            region_turnout = _logit(turnout_mean) + 0.2 * rng.standard_normal(nreg)
        self.region_turnout = np.asarray(region_turnout, float)
        # district means (global district index = offset[r] + d)
        self.doff = np.concatenate([[0], np.cumsum(ndist)[:-1]]).astype(int)
        gd = self.doff[reg] + dist
        self.gd = gd
        nd = int(sum(ndist))
        dreg = np.repeat(np.arange(nreg), ndist)
        self.district_shares = _dirichlet_rows(rng, self.region_shares[dreg] * 400)
        self.district_turnout = self.region_turnout[dreg] + 0.1 * rng.standard_normal(nd)
        self.conc = conc
        self.p_null = rng.uniform(0.008, 0.03, nreg)
        self.p_blank = rng.uniform(0.004, 0.02, nreg)

    def station_shares(self, mean=None, conc=None):
        m = self.district_shares[self.gd] if mean is None else mean
        return _dirichlet_rows(self.rng, m * (self.conc if conc is None else conc))

    def station_turnout_logit(self, sd=0.25):
        return self.district_turnout[self.gd] + sd * self.rng.standard_normal(len(self.reg))

    def counts(self, registered, turnout_logit, shares):
        import numpy as np
        rng = self.rng
        t = 1 / (1 + np.exp(-turnout_logit))
        ballots = rng.binomial(registered, t)
        null = rng.binomial(ballots, self.p_null[self.reg])
        blank = rng.binomial(ballots - null, self.p_blank[self.reg])
        valid = ballots - null - blank
        shares = shares / shares.sum(axis=1, keepdims=True)
        votes = rng.multinomial(valid, shares)
        return dict(registered=registered, ballots_cast=ballots, valid=valid, null=null, blank=blank, votes=votes)


def generate(regime, seed, stations=3000, table_split="fill", big_stations=1_000_000):
    """Returns (columns dict, candidate list, station_id array, region names, district labels)."""
    import numpy as np
    rng = np.random.default_rng([seed, zlib.crc32(regime.encode())])
    base5 = [0.42, 0.27, 0.15, 0.09, 0.07]
    n = stations
    nreg = 12
    if regime == "small_regions":
        nreg = 30
        counts = _split_regions(rng, n, nreg, max(5, round(100 * n / 3000)), max(6, round(300 * n / 3000)))
        reg, dist, ndist = _geography(rng, counts, 2, 4)
    elif regime == "big":
        nreg = 32
        counts = _split_regions(rng, big_stations, nreg)
        reg, dist, ndist = _geography(rng, counts, 4, 12)
    elif regime == "table_cap":
        reg = dist = ndist = None  # built from centres below
    else:
        counts = _split_regions(rng, n, nreg)
        reg, dist, ndist = _geography(rng, counts)

    extra_id = None
    if regime == "narrow_sizes":
        e = Election(rng, reg, dist, ndist, nreg, base5)
        R = rng.integers(80, 201, len(reg))
        out = e.counts(R, e.station_turnout_logit(), e.station_shares())
    elif regime == "mid_sizes":
        e = Election(rng, reg, dist, ndist, nreg, base5)
        R = rng.integers(200, 401, len(reg))
        out = e.counts(R, e.station_turnout_logit(), e.station_shares())
    elif regime == "lognormal_sizes":
        e = Election(rng, reg, dist, ndist, nreg, base5)
        R = _lognormal_int(rng, len(reg), 400, 1.3, 20, 5000)
        out = e.counts(R, e.station_turnout_logit(), e.station_shares())
    elif regime == "lognormal_unclipped":
        e = Election(rng, reg, dist, ndist, nreg, base5)
        R = _lognormal_int(rng, len(reg), 400, 1.3, 20, 5000, redraw=True)
        out = e.counts(R, e.station_turnout_logit(), e.station_shares())
    elif regime == "table_cap":
        cap = 600
        # centres until the tables reach n
        sizes = []
        total = 0
        while total < n:
            c = _lognormal_int(rng, 512, 1100, 0.8, 30, 10_000)
            for s in c:
                k = -(-int(s) // cap)
                if table_split == "even":
                    q, r = divmod(int(s), k)
                    t = [q + 1] * r + [q] * (k - r)
                else:
                    t = [cap] * (k - 1) + [int(s) - cap * (k - 1)]
                    if k > 1 and t[-1] < 100:
                        both = cap + t[-1]
                        t[-2:] = [both - both // 2, both // 2]
                sizes.append(t)
                total += k
                if total >= n:
                    break
        ncent = len(sizes)
        ccounts = _split_regions(rng, ncent, nreg)
        creg, cdist, ndist = _geography(rng, ccounts)
        ntab = np.array([len(t) for t in sizes])
        R = np.array([x for t in sizes for x in t], dtype=np.int64)
        reg = np.repeat(creg, ntab)
        dist = np.repeat(cdist, ntab)
        e = Election(rng, creg, cdist, ndist, nreg, base5)
        cent_turn = e.station_turnout_logit()
        cent_share = e.station_shares()
        e.reg, e.dist, e.gd = reg, dist, np.repeat(e.gd, ntab)
        tab_turn = np.repeat(cent_turn, ntab) + 0.05 * rng.standard_normal(len(R))
        tab_share = _dirichlet_rows(rng, np.repeat(cent_share, ntab, axis=0) * 800)
        out = e.counts(R, tab_turn, tab_share)
        cid = np.repeat(np.arange(ncent), ntab)
        tno = np.concatenate([np.arange(1, k + 1) for k in ntab])
        extra_id = (cid, tno)
    elif regime == "allocated_rolls":
        e = Election(rng, reg, dist, ndist, nreg, base5)
        grp = reg // 4  # 0: multiples of 10, 1: cap 1000, 2: ordinary
        med = np.where(grp == 1, 900, 700)
        R = np.rint(med * np.exp(0.5 * rng.standard_normal(len(reg)))).astype(np.int64)
        R = np.clip(R, 30, 4000)
        R = np.where(grp == 0, np.maximum(10, np.rint(R / 10) * 10).astype(np.int64), R)
        R = np.where(grp == 1, np.minimum(R, 1000), R)
        out = e.counts(R, e.station_turnout_logit(), e.station_shares())
    elif regime == "overdispersed":
        e = Election(rng, reg, dist, ndist, nreg, [0.40, 0.28, 0.17, 0.09, 0.06], conc=7.0)
        R = _lognormal_int(rng, len(reg), 650, 0.5, 40, 3000)
        out = e.counts(R, e.station_turnout_logit(), e.station_shares())
    elif regime == "partial_candidacy":
        base6 = [0.38, 0.27, 0.15, 0.09, 0.07, 0.04]
        rs = rng.dirichlet(np.array(base6) * 200, size=nreg)
        absent = np.arange(nreg) >= nreg - 2
        # the sister party takes the leader's place where the leader does not stand, nowhere else
        rs[absent, 5] = rs[absent, 0] + rs[absent, 5]
        rs[absent, 0] = 0.0
        rs[~absent, 4] += rs[~absent, 5]
        rs[~absent, 5] = 0.0
        e = Election(rng, reg, dist, ndist, nreg, base6, region_shares=rs)
        R = _lognormal_int(rng, len(reg), 600, 0.6, 30, 4000)
        out = e.counts(R, e.station_turnout_logit(), e.station_shares())
    elif regime == "polarized_regions":
        half = np.arange(nreg) < nreg // 2
        lead = np.where(half, 0.75, 0.30)
        rs = np.empty((nreg, 5))
        for r in range(nreg):
            rest = np.array([0.27, 0.15, 0.09, 0.07])
            rest = rest / rest.sum() * (1 - lead[r])
            rs[r] = rng.dirichlet(np.r_[lead[r], rest] * 300)
        rt = np.array([_logit(0.70 if h else 0.55) for h in half]) + 0.1 * rng.standard_normal(nreg)
        e = Election(rng, reg, dist, ndist, nreg, base5, region_shares=rs, region_turnout=rt)
        R = _lognormal_int(rng, len(reg), 600, 0.6, 30, 4000)
        out = e.counts(R, e.station_turnout_logit(), e.station_shares())
    elif regime == "urban_rural":
        e = Election(rng, reg, dist, ndist, nreg, base5)
        urban_share = rng.uniform(0.3, 0.6, nreg)
        urban = rng.random(len(reg)) < urban_share[reg]
        R = np.where(urban, _lognormal_int(rng, len(reg), 1000, 0.35, 200, 3000),
                     _lognormal_int(rng, len(reg), 250, 0.5, 30, 1000))
        tl = np.where(urban, _logit(0.50), _logit(0.75)) + (e.district_turnout[e.gd] - e.region_turnout.mean()) * 0.5
        tl = tl + 0.25 * rng.standard_normal(len(reg))
        m = e.district_shares[e.gd].copy()
        lead = np.where(urban, 0.32, 0.52)
        rest = m[:, 1:] / m[:, 1:].sum(axis=1, keepdims=True) * (1 - lead)[:, None]
        mean = np.column_stack([lead, rest])
        out = e.counts(R, tl, e.station_shares(mean=mean))
    elif regime == "small_regions":
        e = Election(rng, reg, dist, ndist, nreg, base5)
        R = _lognormal_int(rng, len(reg), 500, 0.6, 30, 4000)
        out = e.counts(R, e.station_turnout_logit(), e.station_shares())
    elif regime == "big":
        base10 = np.array([0.30, 0.22, 0.14, 0.10, 0.07, 0.05, 0.04, 0.03, 0.03, 0.02])
        base10 = base10 / base10.sum()
        e = Election(rng, reg, dist, ndist, nreg, base10)
        R = _lognormal_int(rng, len(reg), 500, 0.9, 20, 8000, redraw=True)
        out = e.counts(R, e.station_turnout_logit(), e.station_shares())
    else:
        raise SystemExit(f"unknown regime {regime!r}; known: {', '.join(REGIMES)}")

    k = out["votes"].shape[1]
    cols = [f"cand_{chr(ord('a') + i)}" for i in range(k)]
    names = PARTY_NAMES[:k]
    rnames = np.array(e.region_names)
    region = rnames[reg]
    if extra_id is None:
        sid = [f"R{r + 1:02d}-D{d + 1:02d}-{i + 1:07d}" for i, (r, d) in enumerate(zip(reg.tolist(), dist.tolist()))]
    else:
        cid, tno = extra_id
        sid = [f"R{r + 1:02d}-D{d + 1:02d}-C{c + 1:05d}-M{t}" for r, d, c, t in
               zip(reg.tolist(), dist.tolist(), cid.tolist(), tno.tolist())]
    district = [f"{rn}-{d + 1:02d}" for rn, d in zip(region.tolist(), dist.tolist())]
    return dict(region=region.tolist(), district=district, station_id=sid, out=out, cols=cols, names=names)


def write_dataset(folder, name, g, comment):
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = g["out"]
    header = ["region", "district", "station_id", "registered", "ballots_cast", "valid", "null", "blank"] + g["cols"]
    arrays = [out["registered"], out["ballots_cast"], out["valid"], out["null"], out["blank"]]
    nums = [a.astype(str).tolist() for a in arrays] + [out["votes"][:, j].astype(str).tolist() for j in
                                                        range(out["votes"].shape[1])]
    with open(folder / f"{name}.csv", "w", newline="") as f:
        f.write(",".join(header) + "\n")
        rows = zip(g["region"], g["district"], g["station_id"], *nums)
        f.write("".join(",".join(r) + "\n" for r in rows))
    write_mapping(folder / f"{name}.mapping.toml", name, comment, ["station_id"],
                  [("region", "region"), ("district", "district")],
                  dict(registered="registered", ballots_cast="ballots_cast", valid="valid", null="null", blank="blank"),
                  list(zip(g["cols"], g["names"])))


def write_mapping(path, name, comment, key, regions, counts, candidates, checks=None):
    q = json.dumps  # TOML basic strings share JSON's escaping for plain text
    lines = [f"# {comment}", "", "[dataset]", f"name = {q(name)}", f"files = [{q(name + '.csv')}]", 'layout = "wide"', "",
             "[format]", "", "[station]", f"key = [{', '.join(q(k) for k in key)}]", ""]
    for col, level in regions:
        lines += ["[[regions]]", f"column = {q(col)}", f"level = {q(level)}", ""]
    lines.append("[counts]")
    lines += [f"{k} = {q(v)}" for k, v in counts.items()]
    lines.append("")
    for col, nm in candidates:
        lines += ["[[candidates]]", f"column = {q(col)}", f"name = {q(nm)}", ""]
    if checks:
        lines.append("[checks]")
        lines += [f"{k} = {q(v)}" for k, v in checks.items()] + [""]
    pathlib.Path(path).write_text("\n".join(lines))


def parse_seeds(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += range(int(a), int(b) + 1)
        elif part:
            out.append(int(part))
    return out


def cmd_generate(a):
    for seed in parse_seeds(a.seeds):
        g = generate(a.regime, seed, a.stations, a.table_split, a.big_stations)
        write_dataset(pathlib.Path(a.dir) / str(seed), a.regime, g,
                      f"bench/clean_panel.py generate --regime {a.regime} --seeds {seed} --stations {a.stations}"
                      f" (honest draws, no manipulation)")


# ----------------------------------------------------------------------------------------------------- wisconsin
WI_ELECTIONS = [(2012, "president"), (2014, "governor"), (2016, "president"), (2018, "governor"), (2020, "president"),
                (2022, "governor")]


def cmd_wisconsin(a):
    rows = collections.defaultdict(list)
    with open(a.src, newline="") as f:
        for r in csv.DictReader(f):
            rows[(int(r["year"]), r["office"])].append(r)
    for i, (year, office) in enumerate(WI_ELECTIONS, 1):
        name = f"wi_{year}_{office}"
        folder = pathlib.Path(a.dir) / str(i)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{name}.csv", "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["county", "rep_unit", "valid", "dem", "rep", "other"])
            for r in rows[(year, office)]:
                total, rep, dem = int(r["total"]), int(r["rep"]), int(r["dem"])
                w.writerow([r["county"], r["rep_unit"], total, dem, rep, total - rep - dem])
        write_mapping(folder / f"{name}.mapping.toml", name,
                      f"Wisconsin {year} {office} by reporting unit (WEC, via jdjohn215/wis-election-units); "
                      f"no registered voters or ballots cast", ["county", "rep_unit"], [("county", "county")],
                      dict(valid="valid"), [("dem", "Democratic"), ("rep", "Republican"), ("other", "Other")],
                      # units with total 0 report jointly with another unit (PROVENANCE.md): not stations
                      checks=dict(zero_ballots="exclude"))
        print(f"{name}: {len(rows[(year, office)])} reporting units", file=sys.stderr)


# ----------------------------------------------------------------------------------------------------- summarise
def subject_kind(f, candidates):
    s = f["subject"]
    if s.startswith("registered voters"):
        return "reg"
    if s in candidates:
        return "cand"
    return "other"  # turnout, 'turnout >= 95 %', '<cand> share >= 95 %', 'zero votes for <cand>', announcements


def fmt_p(x):
    if x is None:
        return "-"
    return f"{x:.2g}" if x >= 1e-3 else f"{x:.1e}"


def cmd_summarise(a):
    out = pathlib.Path(a.out)
    times = {}
    if a.times and os.path.exists(a.times):
        for line in open(a.times):
            parts = line.split()
            if len(parts) >= 2:
                times[parts[0]] = " ".join(parts[1:])
    regimes = [d.name for d in sorted(out.iterdir()) if d.is_dir()]
    order = {r: i for i, r in enumerate(REGIMES + ["wisconsin"])}
    regimes.sort(key=lambda r: order.get(r, 99))
    lines = []
    p = lines.append
    per = {}
    tests_seen = set()
    for reg in regimes:
        d = dict(n=0, flagged=0, flagged_noreg=0, dev=0, stations=[], errors=[], flags=collections.Counter(),
                 excl=collections.Counter(), test_any=collections.Counter(), test_kind=collections.Counter(),
                 cal=collections.defaultdict(lambda: [0, 0]), top=[], na=collections.Counter(), warn=collections.Counter())
        seeds = sorted([s for s in (out / reg).iterdir() if s.is_dir()], key=lambda s: int(s.name) if s.name.isdigit() else 0)
        for sd in seeds:
            log = out / reg / f"{sd.name}.log"
            if log.exists():
                for ln in log.read_text(errors="replace").splitlines():
                    if ln.strip():
                        d["warn"][re.sub(r"\d+(\.\d+)?", "#", ln.strip())[:160]] += 1
            rj = list(sd.glob("*/results.json"))
            if not rj:
                d["errors"].append(f"seed {sd.name}: no results.json")
                continue
            run = json.loads(rj[0].read_text())
            d["n"] += 1
            cands = set((run.get("totals") or {}).get("candidates") or {})
            d["stations"].append(run["totals"]["stations"])
            for fl in run["ledger"].get("flags", []):
                d["flags"][fl["check"]] += fl["stations"]
            for ex in run["ledger"].get("exclusions", []):
                d["excl"][ex["reason"]] += ex["rows"]
            devs = [f for f in run["findings"] if f["verdict"] == "deviates"]
            d["dev"] += len(devs)
            d["flagged"] += bool(devs)
            d["flagged_noreg"] += any(subject_kind(f, cands) != "reg" for f in devs)
            seen = set()
            for f in devs:
                kind = subject_kind(f, cands)
                scope = "nat" if f["region"] is None else "reg"
                seen.add((f["test_id"], None, None))
                seen.add((f["test_id"], kind, scope))
                d["top"].append((f["q_value"] if f["q_value"] is not None else 1, f["p_value"] or 0, sd.name, f, kind))
            for key in seen:
                if key[1] is None:
                    d["test_any"][key[0]] += 1
                else:
                    d["test_kind"][key] += 1
            for f in run["findings"]:
                tests_seen.add(f["test_id"])
                if f["verdict"] == "not_applicable":
                    d["na"][f["test_id"]] += 1
                if f["p_value"] is None or f["verdict"] not in ("consistent", "deviates"):
                    continue
                st = (f.get("statistic") or {}).get("name", "")
                c = d["cal"][(f["test_id"], st, subject_kind(f, cands))]
                c[0] += 1
                c[1] += f["p_value"] < 0.05
        per[reg] = d

    p("== 1. Datasets with any 'deviates' verdict (alpha 0.05 after the tool's adjustment; nominal <= 0.05 of datasets) ==")
    p("   (flagged w/o reg = datasets with a 'deviates' finding on a subject other than registered voters)")
    p(f"{'regime':20} {'stations':>15} {'flagged':>9} {'share':>6} {'w/o reg':>9} {'mean dev':>8}  wall time")
    for reg in regimes:
        d = per[reg]
        st = d["stations"]
        srange = f"{min(st)}-{max(st)}" if st and min(st) != max(st) else (str(st[0]) if st else "-")
        p(f"{reg:20} {srange:>15} {d['flagged']:>4} / {d['n']:<3} {d['flagged'] / max(1, d['n']):6.2f} "
          f"{d['flagged_noreg']:>4} / {d['n']:<3}{d['dev'] / max(1, d['n']):8.2f}  {times.get(reg, '-')}")
    for reg in regimes:
        for e in per[reg]["errors"]:
            p(f"  ERROR {reg}: {e}")

    tests = sorted({t for reg in regimes for t in per[reg]["test_any"]})
    abbr = dict(narrow_sizes="narrow", mid_sizes="mid", lognormal_sizes="lognormal", lognormal_unclipped="lnorm_unc",
                table_cap="table_cap", allocated_rolls="allocated", overdispersed="overdisp", partial_candidacy="partial",
                polarized_regions="polarized", urban_rural="urb_rural", small_regions="small_reg", big="big",
                wisconsin="wisconsin")
    short = {r: abbr.get(r, r[:9]) for r in regimes}
    p("")
    p("== 2a. Datasets in which a test has at least one 'deviates' finding (test x regime) ==")
    p(f"{'test':24}" + "".join(f"{short[r]:>10}" for r in regimes))
    for t in tests:
        p(f"{t:24}" + "".join(f"{(str(per[r]['test_any'][t]) + '/' + str(per[r]['n'])) if per[r]['test_any'][t] else '.':>10}" for r in regimes))
    p("")
    p("== 2b. Same, split by subject kind and scope (datasets; reg = registered voters, cand = candidate votes,")
    p("       other = turnout / extreme-station subjects; nat = national, rgn = regional) ==")
    kinds = [("reg", "nat"), ("reg", "reg"), ("cand", "nat"), ("cand", "reg"), ("other", "nat"), ("other", "reg")]
    p(f"{'regime':18} {'test':24} {'any':>5} " + " ".join(f"{k + '/' + ('rgn' if s == 'reg' else s):>10}" for k, s in kinds))
    for reg in regimes:
        d = per[reg]
        for t in tests:
            if not d["test_any"][t]:
                continue
            p(f"{reg:18} {t:24} {d['test_any'][t]:>5} " + " ".join(
                f"{d['test_kind'][(t, k, s)] or '.':>10}" for k, s in kinds))

    p("")
    p("== 3. Calibration: share of applicable findings with raw p < 0.05, pooled over seeds (nominal 0.05) ==")
    p("       cell = share (findings); * marks a share above 0.05 + 3 binomial SE; rows by subject kind")
    keys = sorted({k for reg in regimes for k in per[reg]["cal"]})
    p(f"{'test:statistic [kind]':40}" + "".join(f"{short[r]:>15}" for r in regimes))
    for k in keys:
        cells = []
        for r in regimes:
            c = per[r]["cal"].get(k)
            if not c or not c[0]:
                cells.append(f"{'.':>15}")
                continue
            sh = c[1] / c[0]
            star = "*" if sh > 0.05 + 3 * math.sqrt(0.05 * 0.95 / c[0]) else " "
            cells.append(f"{sh:9.3f}{star}({c[0]})".rjust(15))
        p(f"{(k[0] + ':' + k[1] + ' [' + k[2] + ']')[:40]:40}" + "".join(cells))
    p("")
    p("   pooled over subject kinds (all applicable findings of the test):")
    tkeys = sorted({k[:2] for k in keys})
    for t in tkeys:
        cells = []
        for r in regimes:
            n = sum(v[0] for k, v in per[r]["cal"].items() if k[:2] == t)
            x = sum(v[1] for k, v in per[r]["cal"].items() if k[:2] == t)
            if not n:
                cells.append(f"{'.':>15}")
                continue
            star = "*" if x / n > 0.05 + 3 * math.sqrt(0.05 * 0.95 / n) else " "
            cells.append(f"{x / n:9.3f}{star}({n})".rjust(15))
        p(f"{(t[0] + ':' + t[1])[:40]:40}" + "".join(cells))

    p("")
    p("== 4. Strongest false flags per regime: the smallest q of each (test, statistic, subject kind, scope), up to 4")
    p("       per subject kind (registered voters / candidate votes / other);")
    p("       [k ds] = datasets with a 'deviates' finding of that kind ==")
    for reg in regimes:
        groups = {}
        ds = collections.defaultdict(set)
        for q, pv, seed, f, kind in sorted(per[reg]["top"], key=lambda x: (x[0], x[1])):
            g = (f["test_id"], (f.get("statistic") or {}).get("name", ""), kind, f["region"] is None)
            groups.setdefault(g, (q, pv, seed, f))
            ds[g].add(seed)
        ranked = sorted(groups.items(), key=lambda x: (x[1][0], x[1][1]))
        top = []  # at most 4 per subject kind, so that registered-voter flags do not hide the others
        for kind in ("reg", "cand", "other"):
            top += [x for x in ranked if x[0][2] == kind][:4]
        top.sort(key=lambda x: (x[1][0], x[1][1]))
        if not top:
            p(f"{reg}: none")
            continue
        p(f"{reg}:")
        for g, (q, pv, seed, f) in top:
            where = "national" if f["region"] is None else "/".join(f["region"])
            st = f.get("statistic") or {}
            stv = st.get("value")
            stv = f"{stv:.4g}" if isinstance(stv, (int, float)) else "-"
            p(f"  [{len(ds[g]):>2} ds] seed {seed:>3} {f['test_id']:22} {st.get('name', ''):18}={stv:>9} {f['subject'][:28]:28} "
              f"{where[:18]:18} p={fmt_p(f['p_value']):8} q={fmt_p(f['q_value']):8}")
            if f.get("headline"):
                p(f"           {f['headline']}")

    p("")
    p("== 5. Data checks, not-applicable findings and messages on stderr ==")
    for reg in regimes:
        d = per[reg]
        fl = ", ".join(f"{k} {v}" for k, v in d["flags"].most_common()) or "none"
        ex = ", ".join(f"{k} {v}" for k, v in d["excl"].most_common()) or "none"
        na = ", ".join(f"{k} {v / max(1, d['n']):.1f}" for k, v in sorted(d["na"].items()))
        p(f"{reg}: flagged stations (sum over datasets): {fl}; excluded rows: {ex}")
        p(f"  not_applicable findings per dataset: {na or 'none'}")
        for msg, n in d["warn"].most_common(6):
            p(f"  stderr ({n}x): {msg}")
    text = "\n".join(lines)
    print(text)
    if a.results:
        with open(a.results, "a") as f:
            f.write(text + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--regime", required=True, choices=REGIMES)
    g.add_argument("--seeds", default="1")
    g.add_argument("--stations", type=int, default=3000)
    g.add_argument("--big-stations", type=int, default=int(os.environ.get("BIG_STATIONS", 1_000_000)))
    g.add_argument("--table-split", choices=["fill", "even"], default=os.environ.get("TABLE_SPLIT", "fill"))
    g.add_argument("--dir", required=True)
    w = sub.add_parser("wisconsin")
    w.add_argument("--src", required=True)
    w.add_argument("--dir", required=True)
    s = sub.add_parser("summarise")
    s.add_argument("--out", required=True)
    s.add_argument("--times")
    s.add_argument("--results")
    a = ap.parse_args()
    {"generate": cmd_generate, "wisconsin": cmd_wisconsin, "summarise": cmd_summarise}[a.cmd](a)


if __name__ == "__main__":
    main()
