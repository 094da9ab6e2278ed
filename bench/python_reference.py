"""Plain numpy/scipy reference for the national statistics of issue 16's speed target (bench/python_ratio.sh).

Usage: python_reference.py STATIONS [--replicates 1000] [--seed 20240728] [--null-seed 1] [--tests a,b,...]
STATIONS: the table the tool analysed, OUTPUT/<dataset>/stations.parquet (or a CSV with its columns region_<level>,
registered, ballots_cast, valid, votes_<candidate>). Prints JSON {"rows": [{test, subject, statistic, value,
p_value, n}], "timing"}; statistic "details.<key>" is results.json field <key> of the same finding, statistic null
a finding that is not applicable. One process, vectorised numpy, scipy tails, the compiled `diptest` (AS 217; the
tool's src/stats/dip.rs matches it to 1e-16).

Definitions (docs/methods.md section; Rust source followed):
- "Digit subjects and gates", "Structural zeros" (forensics/battery.rs, candidacy.rs): candidates, then registered
  voters; >= 50 counts of 10+, median >= 10, registered half-range >= 50; regions where a candidate with >= 1 % of
  valid votes has <= 0.1 % of a region's leave that candidate's tests.
- "The smooth-count null", "### last_digit" (digits/laws.rs, null.rs, resolution.rs, stats/goodness_of_fit.rs):
  last digits of counts >= 10 against the histogram smoothed by a discrete Gaussian (sigma 5, +-20; >= 5,000
  flat), Pearson chi2 with Cochran pooling; replicates redraw each count as round(|c + 5 Z|). Not applicable under
  50 counts >= 10, a median under 20, or a "Resolution check" bias z > 0.5.
- "The leading-digit null", "### benford_second_digit": second digits of counts >= 10 against Benford's law;
  replicates draw round(N p* + sd Z) clipped to [0, N], shares shrunk per top-level region. "Calibrated
  p-values": scaled chi2 with the simulated mean and variance (empirical p beside it).
- "Definitions and major candidates", "Dithering", "Comparison strata", "### turnout_distribution" (turnout/
  data.rs, distribution.rs, strata.rs, stats/moments.rs, dip.rs): moments of exact turnouts (SD n - 1, m3/m2^1.5,
  m4/m2^2); the verdict's dip on dithered turnouts centred within strata (deepest region with >= 30 stations x
  registered quintile), p from the tool's sqrt(n) D_n quantile table read from src/stats/dip.rs.
- "### integer_percentages": turnout or leader share of ballots within +-0.05 points of a whole number (integer
  arithmetic); replicates redraw ballots ~ Bin(registered, turnout), leader ~ Bin(ballots, share) (normal, rounded,
  when the variance is >= 25); z = (observed - mean) / SD, p its upper normal tail.
- "### fingerprint": 100 x 100 cells of dithered (turnout, leader's share of valid votes), the corner share at
  >= 90 % / >= 90 %, the densest cell after 3 x 3 smoothing.

Randomness: the dithering reproduces the tool's ChaCha8 streams (rand_chacha 0.10, rand_core seed_from_u64, the
streams of turnout/data.rs seeded_rng), so the dips and the corner share match exactly. The nulls use numpy's PCG64
(--null-seed): same distributions, other draws, so p-values and the integer-percentage z agree within Monte Carlo
error only. What differs: national findings only (the tool's --region-depth is at least 1, so it also computes the
top-level regions, and simulates subjects whose national digit findings are not applicable for their regional
ones); moments by numpy, not Welford (equal up to rounding); beyond MAX_DIP_N = 200,000 stations the dip subset is
numpy's, not the tool's shuffle (not reached by the inputs of python_ratio.sh).
"""
import argparse, json, math, os, re, sys, time

import diptest
import numpy as np
import pyarrow.csv
import pyarrow.parquet
from scipy import stats

SIGMA, RADIUS, SMOOTH_CAP, MIN_EXPECTED = 5.0, 20, 5000, 5.0
M64 = (1 << 64) - 1
TESTS = "last_digit,turnout_distribution,integer_percentages,fingerprint,benford_second_digit"
BENFORD2 = np.array([sum(math.log10(1 + 1 / (10 * k + d)) for k in range(1, 10)) for d in range(10)])


def load(path):
    table = pyarrow.parquet.read_table(path) if path.endswith(".parquet") else pyarrow.csv.read_csv(path)
    names = table.column_names
    col = lambda c: table.column(c).to_numpy(zero_copy_only=False)
    # A level's region is its path of names from the top level down (names repeat across parents).
    codes, path = [], None
    for c in (c for c in names if c.startswith("region_") and not c.endswith("_code")):
        level = col(c).astype(str)
        path = level if path is None else np.char.add(np.char.add(path, "\x1f"), level)
        codes.append(np.unique(path, return_inverse=True)[1].ravel())
    ints = lambda c: col(c).astype(np.int64)
    cands = [c[len("votes_"):] for c in names if c.startswith("votes_")]
    return dict(regions=codes, registered=ints("registered") if "registered" in names else None,
                ballots=ints("ballots_cast"), valid=ints("valid"), names=cands,
                votes=[ints("votes_" + c) for c in cands], n=table.num_rows)


def absent_stations(t, votes):
    """forensics/candidacy.rs: stations of the regions where a candidate does not stand."""
    absent = np.zeros(t["n"], bool)
    if t["valid"].sum() == 0 or votes.sum() < 0.01 * t["valid"].sum():
        return absent
    for codes in t["regions"]:
        k = codes.max() + 1
        v, d = np.bincount(codes, votes, k), np.bincount(codes, t["valid"], k)
        inside = np.bincount(codes, absent, k) > 0  # inside a region found at a level above
        absent |= (~inside & (np.bincount(codes, minlength=k) >= 5) & (d > 0) & (v <= 0.001 * d))[codes]
    return absent


def row(rows, test, subject, statistic, value, p_value=None, **extra):
    rows.append(dict(test=test, subject=subject, statistic=statistic, value=value, p_value=p_value, **extra))


# ---- the tool's ChaCha8 streams, for the dithering
def mix(x):  # splitmix64 finaliser (digits/null.rs)
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def chacha8_uniforms(seed, stream, task, count):
    """`count` draws of rng.random::<f64>() from the tool's seeded_rng(seed, stream, task)."""
    state, key = mix(mix(seed ^ mix(stream)) ^ mix(task)), []
    for _ in range(8):  # rand_core seed_from_u64: the 32-byte seed from PCG32
        state = (state * 0x5851F42D4C957F2D + 0xA17654E46FBE17F3) & M64
        xs, rot = (((state >> 18) ^ state) >> 27) & 0xFFFFFFFF, state >> 59
        key.append(((xs >> rot) | (xs << ((32 - rot) & 31))) & 0xFFFFFFFF)
    blocks = (2 * count + 15) // 16
    ctr = np.arange(blocks, dtype=np.uint64)
    x = np.zeros((16, blocks), np.uint32)
    x[0:4] = np.array([0x61707865, 0x3320646E, 0x79622D32, 0x6B206574], np.uint32)[:, None]
    x[4:12] = np.array(key, np.uint32)[:, None]
    x[12], x[13] = (ctr & 0xFFFFFFFF).astype(np.uint32), (ctr >> np.uint64(32)).astype(np.uint32)
    start = x.copy()
    for _ in range(4):  # 4 double rounds = ChaCha8
        for a, b, c, d in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                           (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)):
            for p, q, r, n in ((a, b, d, 16), (c, d, b, 12), (a, b, d, 8), (c, d, b, 7)):
                x[p] += x[q]
                x[r] ^= x[p]
                x[r] = (x[r] << n) | (x[r] >> (32 - n))
    words = (x + start).T.reshape(-1)[: 2 * count].astype(np.uint64)
    u64 = words[0::2] | (words[1::2] << np.uint64(32))
    return (u64 >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def dithered(num, den, u_num, u_den):
    return np.maximum(np.maximum(num + u_num - 0.5, 0.0) / np.maximum(den + u_den - 0.5, 0.5), 0.0)


# ---- digit tests
def fit_chi2(obs, p):
    """Pearson chi2 per row of obs with Cochran pooling in category order (stats/goodness_of_fit.rs)."""
    obs = np.atleast_2d(np.asarray(obs, float))
    n = obs.sum(axis=1)
    if n.min() * p.min() >= MIN_EXPECTED:  # no cell to pool in any row
        e = n[:, None] * p
        return ((obs - e) ** 2 / e).sum(axis=1)
    out = np.empty(len(obs))
    for r, (counts, nr) in enumerate(zip(obs, n)):
        pools, o, e = [], 0.0, 0.0
        for oi, pi in zip(counts, p):
            o, e = o + oi, e + nr * pi
            if e >= MIN_EXPECTED:
                pools, o, e = pools + [[o, e]], 0.0, 0.0
        if (o, e) != (0.0, 0.0):
            pools[-1:] = [[pools[-1][0] + o, pools[-1][1] + e]] if pools else [[o, e]]
        out[r] = sum((o - e) ** 2 / e for o, e in pools if e > 0) if len(pools) >= 2 else 0.0
    return out


def smooth_expected(c, min_count=10):
    """Expected last-digit shares of counts >= min_count under the smooth-count null (laws.rs)."""
    top = SMOOTH_CAP + RADIUS
    hist = np.bincount(c[c < top], minlength=top).astype(float)
    kernel = np.exp(-np.arange(-RADIUS, RADIUS + 1) ** 2 / (2 * SIGMA ** 2))
    g = np.convolve(hist, kernel)[RADIUS: RADIUS + top] / kernel.sum()
    v = np.arange(min_count, SMOOTH_CAP)
    by_digit = np.bincount(v % 10, g[v], 10)
    n_mid, n_big = np.sum((c >= min_count) & (c < SMOOTH_CAP)), np.sum(c >= SMOOTH_CAP)
    if n_mid + n_big == 0 or by_digit.sum() <= 0:
        return np.full(10, 0.1)
    return (n_mid * by_digit / by_digit.sum() + n_big * 0.1) / (n_mid + n_big)


POW10 = 10 ** np.arange(19, dtype=np.int64)
second_any = lambda v: np.where(v >= 10, (v // POW10[np.maximum(np.searchsorted(POW10, v, "right") - 2, 0)]) % 10, 10)
SECOND = second_any(np.arange(10_000))


def second_digit(v):
    """Second significant digit of each count; 10 (a bin to drop) under 10. A table below 10,000."""
    out, big = SECOND[np.minimum(v, 9_999)], v >= 10_000
    if big.any():
        out[big] = second_any(v[big])
    return out


def resolution(c):
    """digits/resolution.rs: bias z of the last- and second-digit functionals, variance 2 sigma^2 vs 3 sigma^2."""
    vals, mult = np.unique(c, return_counts=True)
    n = float(np.sum(c >= 10))
    if n < 1:
        return 0.0, 0.0

    def smoothed(sigma, cap):  # reflected at 0; counts >= cap as they are
        r = math.ceil(4 * sigma)
        k = np.exp(-np.arange(-r, r + 1) ** 2 / (2 * sigma * sigma))
        small = vals < cap
        v = np.concatenate([np.abs(vals[small][:, None] + np.arange(-r, r + 1)).ravel(), vals[~small]])
        w = np.concatenate([(mult[small][:, None] * k / k.sum()).ravel(), mult[~small].astype(float)])
        v, w = v[v >= 10], w[v >= 10]
        return np.bincount(v % 10, w, 10) / w.sum(), np.bincount(second_digit(v), w, 11)[:10] / w.sum()

    def digits_z(p, q):
        d = np.arange(10)
        m = (d * p).sum()
        var = ((d - m) ** 2 * p).sum() / n
        z_mean = abs(m - (d * q).sum()) / math.sqrt(var) if var > 0 else 0.0
        pos = p > 0
        return max(z_mean, n * ((p[pos] - q[pos]) ** 2 / p[pos]).sum() / math.sqrt(18.0))

    s2, s3 = SIGMA * math.sqrt(2), SIGMA * math.sqrt(3)
    (l1, _), (l2, _) = smoothed(s2, SMOOTH_CAP), smoothed(s3, SMOOTH_CAP)
    (_, d1), (_, d2) = smoothed(s2, 100 - math.ceil(4 * s3)), smoothed(s3, 100 - math.ceil(4 * s3))
    c1, c2 = l1[0] + l1[5], l2[0] + l2[5]
    share_z = abs(c1 - c2) / math.sqrt(c1 * (1 - c1) / n) if 0 < c1 < 1 else 0.0
    return max(digits_z(l1, l2), share_z), digits_z(d1, d2)


def shrunk_binomial(c, tot, region):
    """null.rs binomial_params: mean N p* and binomial SD, p* = m + k (s - m) per top-level region."""
    k = region.max() + 1
    n_r = np.bincount(region, tot, k)
    m = np.where(n_r > 0, np.bincount(region, c, k) / np.maximum(n_r, 1), 0.0)
    ok = tot > 0
    s, r = np.where(ok, c / np.maximum(tot, 1), 0.0), region[ok]
    var = np.bincount(r, (s[ok] - m[r]) ** 2, k)
    ebin = np.bincount(r, m[r] * (1 - m[r]) / tot[ok], k)
    shrink = np.where(var > 0, np.sqrt(np.maximum(0, 1 - ebin / np.where(var > 0, var, 1))), 0.0)
    p = np.clip(m[region] + shrink[region] * (s - m[region]), 0, 1)
    return np.where(ok, tot * p, 0.0), np.where(ok, np.sqrt(tot * p * (1 - p)), 0.0)


def calibrated_one_sided(t, sims):
    mean, sd = sims.mean(), sims.std(ddof=1)
    if sd <= 0 or mean <= 0:
        return float((1 + np.sum(sims >= t)) / (len(sims) + 1))
    return float(stats.chi2.sf(t / (sd * sd / (2 * mean)), 2 * mean * mean / (sd * sd)))


def replicates_for(args, n):  # forensics/mod.rs Params::replicates_for
    if args.max_station_draws == 0 or n == 0:
        return args.replicates
    return min(args.replicates, max(args.max_station_draws // n, 200))


def digit_tests(t, args, rng, rows, tests):
    subjects = [(name, v, True) for name, v in zip(t["names"], t["votes"])]
    if t["registered"] is not None:
        subjects.append(("registered voters", t["registered"], False))
    top = t["regions"][0] if t["regions"] else np.zeros(t["n"], np.int64)
    for name, counts, candidate in subjects:
        want = [x for x in ("last_digit", "benford_second_digit") if x in tests and (candidate or x == "last_digit")]
        if not want:
            continue
        keep = ~absent_stations(t, counts) if candidate else np.ones(t["n"], bool)
        c, tot = counts[keep], t["valid"][keep]
        srt = np.sort(c)
        median, half = (srt[(len(c) - 1) // 2] if len(c) else 0), (len(c) + 1) // 2
        narrow = not candidate and len(c) and np.min(srt[half - 1:] - srt[: len(c) - half + 1]) < 50
        gate = np.sum(c >= 10) >= 50 and median >= 10 and not narrow
        res_last, res_second = resolution(c) if gate else (0.0, 0.0)
        last_obs = np.bincount(c[c >= 10] % 10, minlength=10)
        second_obs = np.bincount(second_digit(c), minlength=11)[:10]
        ok = {"last_digit": gate and last_obs.sum() >= 50 and median >= 20 and res_last <= 0.5,
              "benford_second_digit": gate and second_obs.sum() >= 100 and res_second <= 0.5}
        for test in (x for x in want if not ok[x]):
            row(rows, test, name, None, None, n=int(len(c)), not_applicable=True)
        want = [x for x in want if ok[x]]
        if not want:
            continue
        smooth, cf = smooth_expected(c), c.astype(float)
        mu, sd = shrunk_binomial(c, tot, top[keep]) if candidate else (0.0, 0.0)
        R = replicates_for(args, len(c))
        sim_last, sim_second = np.empty(R), np.empty(R)
        chunk = max(1, 4_000_000 // max(len(c), 1))
        for s in range(0, R, chunk):  # one standard normal per station and replicate feeds both nulls
            k = min(chunk, R - s)
            z = rng.standard_normal((k, len(c)))
            hist = lambda digit: np.bincount((digit + 11 * np.arange(k)[:, None]).ravel(),
                                             minlength=11 * k).reshape(k, 11)[:, :10]
            last = np.floor(np.abs(cf + SIGMA * z) + 0.5).astype(np.int64)
            sim_last[s: s + k] = fit_chi2(hist(np.where(last >= 10, last % 10, 10)), smooth)
            if "benford_second_digit" in want:
                lead = np.minimum(np.floor(np.maximum(mu + sd * z, 0.0) + 0.5).astype(np.int64), tot)
                sim_second[s: s + k] = fit_chi2(hist(second_digit(lead)), BENFORD2)
        for test, obs, p, sims in (("last_digit", last_obs, smooth, sim_last),
                                   ("benford_second_digit", second_obs, BENFORD2, sim_second)):
            if test in want:
                chi = float(fit_chi2(obs, p)[0])
                row(rows, test, name, "chi_square", chi, calibrated_one_sided(chi, sims), n=int(obs.sum()), replicates=R)
                row(rows, test, name, "details.p_value_empirical", float((1 + np.sum(sims >= chi)) / (R + 1)))
                row(rows, test, name, "details.simulated_mean", float(sims.mean()))
                row(rows, test, name, "details.simulated_sd", float(sims.std(ddof=1)))
                row(rows, test, name, "details.digit_counts", obs.tolist())


# ---- turnout tests
def dip_table(path):
    src = open(path).read()

    def const(name):
        body = re.search(r"pub const %s: [^=]*= \[(.*?)\];" % name, src, re.S).group(1)
        return [float(v) for v in re.findall(r"[0-9.]+", re.sub(r"//[^\n]*", "", body).replace("_", ""))]
    tail, sizes, q = const("TABLE_TAIL_P"), const("TABLE_N"), const("TABLE_Q")
    return np.array(tail), np.array(sizes), np.array(q).reshape(len(sizes), len(tail))


def dip_p_value(dip, n, table):
    """stats/dip.rs: quantile rows interpolated in 1/sqrt(n), then p linearly between quantiles; floor 0.001."""
    tail, sizes, q = table
    s, floor = math.sqrt(n) * dip, 0.5 / math.sqrt(max(n, 1))
    if n < 4 or s <= floor * (1 + 1e-9):
        return 1.0
    upper, inv = int(np.searchsorted(sizes, n, side="right")), lambda m: 1 / math.sqrt(m)
    if upper in (0, len(sizes)):
        quantiles = q[0] if upper == 0 else q[-1]
    else:
        w = (inv(sizes[upper - 1]) - inv(n)) / (inv(sizes[upper - 1]) - inv(sizes[upper]))
        quantiles = q[upper - 1] + w * (q[upper] - q[upper - 1])
    prev_q, prev_p = floor, 1.0
    for qq, p in zip(quantiles, tail):
        qq = max(qq, floor)
        if s <= qq:
            return prev_p + (p - prev_p) * (s - prev_q) / (qq - prev_q)
        prev_q, prev_p = qq, p
    return 0.001


def strata(t, size):
    """turnout/strata.rs: deepest region with >= 30 stations x size quintile; cells < 10 merge in the region."""
    region = np.full(t["n"], -1, np.int64)
    for level, codes in enumerate(t["regions"]):  # deeper levels overwrite
        region = np.where(np.bincount(codes)[codes] >= 30, level * (1 << 32) + codes, region)
    pos = np.sort(size[size > 0])
    cuts = np.array([pos[k * len(pos) // 5] if k * len(pos) // 5 < len(pos) else 0 for k in range(1, 5)])
    cls = np.sum(size[:, None] >= cuts[None, :], axis=1)
    cell = np.unique(region * 8 + cls, return_inverse=True)[1].ravel()
    small = np.bincount(cell)[cell] < 10
    return np.unique(np.where(small, region * 8 + 7, region * 8 + cls), return_inverse=True)[1].ravel()


def turnout_distribution(t, args, rows):
    reg, bl = t["registered"], t["ballots"]
    has = reg > 0
    a, d = bl[has], reg[has]
    if len(a) < 30:  # MIN_STATIONS
        return row(rows, "turnout_distribution", "turnout", None, None, n=int(len(a)), not_applicable=True)
    exact = a / d
    u = chacha8_uniforms(args.seed, 0x7475726E, 0, 2 * len(a))
    dith = dithered(a, d, u[0::2], u[1::2])
    st = strata(t, reg)[has]
    sw, swx = np.bincount(st).astype(float), np.bincount(st, dith)
    within = dith - swx[st] / sw[st] + sum(swx.tolist()) / sum(sw.tolist())  # unit weights
    pooled = dith
    if len(within) > 200_000:  # MAX_DIP_N: a subset (not the tool's shuffle)
        pick = np.random.default_rng(args.null_seed).permutation(len(within))[:200_000]
        within, pooled = within[pick], dith[pick]
    table = dip_table(args.dip_table)
    dip, dip_pooled = (float(diptest.dipstat(v, allow_zero=False)) for v in (within, pooled))
    m = exact.mean()
    m2, m3, m4 = (((exact - m) ** j).mean() for j in (2, 3, 4))
    row(rows, "turnout_distribution", "turnout", "dip", dip, dip_p_value(dip, len(within), table), n=int(len(a)))
    for key, v in dict(mean=m, median=np.median(exact), sd=math.sqrt(m2 * len(a) / (len(a) - 1)),
                       skewness=m3 / m2 ** 1.5, kurtosis_pearson=m4 / m2 ** 2, share_at_least_95=np.mean(20 * a >= 19 * d),
                       stations_at_100=np.sum(a == d), stations_above_100=np.sum(a > d), dip_strata=len(np.unique(st)),
                       dip_pooled=dip_pooled, dip_pooled_p_value=dip_p_value(dip_pooled, len(pooled), table)).items():
        row(rows, "turnout_distribution", "turnout", "details." + key, float(v))


def leader(t):
    """The candidate with most votes (first on ties), its votes and its share denominator (0 where absent)."""
    i = int(np.argsort(-np.array([v.sum() for v in t["votes"]]), kind="stable")[0])
    return t["names"][i], t["votes"][i], np.where(absent_stations(t, t["votes"][i]), 0, t["valid"])


def is_integer_percent(a, d):
    k = (200 * a + d) // (2 * d)  # nearest whole percentage
    return np.abs(2000 * a - 20 * k * d) <= d


def integer_percentages(t, args, rng, rows):
    name, w, lvalid = leader(t)
    reg, bl = t["registered"], t["ballots"]
    e = ((lvalid > 0) | (t["valid"] == 0)) & (reg >= 100) & (bl > 0) & (100 * bl <= 99 * reg) & (100 * w <= 99 * bl)
    reg, bl, w = reg[e], bl[e], w[e]
    if len(reg) < 100:  # MIN_STATIONS
        return row(rows, "integer_percentages", name, None, None, n=int(len(reg)), not_applicable=True)
    obs_t, obs_s = is_integer_percent(bl, reg), is_integer_percent(w, bl)
    R = replicates_for(args, 2 * len(reg))
    sims = np.empty((R, 3))

    def draw(n, p, k):  # Bin(n, p): normal approximation when the variance is >= 25, else exact
        mean, var = n * p, n * p * (1 - p)
        x = np.clip(np.floor(mean + np.sqrt(var) * rng.standard_normal((k, len(n))) + 0.5), 0, n).astype(np.int64)
        exact = var < 25
        x[:, exact] = rng.binomial(n[exact], np.clip(p[exact], 0, 1), size=(k, int(exact.sum())))
        return x

    chunk = max(1, 2_000_000 // len(reg))
    for s in range(0, R, chunk):
        k = min(chunk, R - s)
        b, v = draw(reg, bl / reg, k), draw(bl, w / bl, k)
        ht, hs = is_integer_percent(b, reg), (b > 0) & is_integer_percent(v, np.maximum(b, 1))
        sims[s: s + k] = np.stack([ht.sum(1), hs.sum(1), (ht | hs).sum(1)], axis=1)
    observed = np.array([obs_t.sum(), obs_s.sum(), (obs_t | obs_s).sum()])
    mean, sd = sims.mean(0), sims.std(0, ddof=1)
    z = np.where(sd > 0, (observed - mean) / np.where(sd > 0, sd, 1), 0.0)
    p = float(stats.norm.sf(z[2])) if sd[2] > 0 else (1 / (R + 1) if observed[2] > mean[2] else 1.0)
    row(rows, "integer_percentages", name, "z", float(z[2]), p, n=int(len(reg)), replicates=R)
    for key, v in (("observed", observed[2]), ("turnout.observed", observed[0]),
                   ("leader_share.observed", observed[1]), ("expected", mean[2]), ("sd", sd[2])):
        row(rows, "integer_percentages", name, "details." + key, float(v))


def fingerprint(t, args, rows):
    name, w, lvalid = leader(t)
    reg, bl = t["registered"], t["ballots"]
    use = (reg > 0) & (lvalid > 0)
    if use.sum() < 30:  # MIN_STATIONS
        return row(rows, "fingerprint", name, None, None, n=int(use.sum()), not_applicable=True)
    u = chacha8_uniforms(args.seed, 0x66696E67, 0, 4 * int(use.sum()))
    x, y = dithered(bl[use], reg[use], u[0::4], u[1::4]), dithered(w[use], lvalid[use], u[2::4], u[3::4])
    cell = lambda v: np.clip(np.floor(v * 100), 0, 99).astype(np.int64)
    pad = np.pad(np.bincount(cell(y) * 100 + cell(x), minlength=10_000).reshape(100, 100).astype(float), 1)
    smooth = sum(pad[i: i + 100, j: j + 100] for i in range(3) for j in range(3))
    mode_y, mode_x = divmod(int(np.argmax(smooth)), 100)  # first maximum in row-major order, as the tool
    corner = int(np.sum((x >= 0.9) & (y >= 0.9)))
    row(rows, "fingerprint", name, "corner_share", corner / len(x), n=int(len(x)))
    for key, v in (("corner_stations", corner), ("mode_turnout", (mode_x + 0.5) / 100),
                   ("mode_share", (mode_y + 0.5) / 100)):
        row(rows, "fingerprint", name, "details." + key, float(v))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("stations")
    for flag, default in (("--replicates", 1000), ("--max-station-draws", 200_000_000), ("--seed", 20240728),
                          ("--null-seed", 1)):  # --seed: the tool's (dithering); --null-seed: numpy's nulls
        ap.add_argument(flag, type=int, default=default)
    ap.add_argument("--tests", default=TESTS)
    ap.add_argument("--dip-table", default=os.path.join(here, "..", "src", "stats", "dip.rs"))
    args = ap.parse_args()
    tests = set(args.tests.split(","))
    c0 = time.process_time()
    t = load(args.stations)
    c1 = time.process_time()
    rng, rows, by_step = np.random.default_rng(args.null_seed), [], {}
    steps = {"digits": lambda: digit_tests(t, args, rng, rows, tests),
             "turnout_distribution": lambda: turnout_distribution(t, args, rows),
             "integer_percentages": lambda: integer_percentages(t, args, rng, rows),
             "fingerprint": lambda: fingerprint(t, args, rows)}
    for name, step in steps.items():
        if name in tests or name == "digits" and tests & {"last_digit", "benford_second_digit"}:
            c = time.process_time()
            if name != "digits" and t["registered"] is None:  # no turnout
                subject = "turnout" if name == "turnout_distribution" else leader(t)[0]
                row(rows, name, subject, None, None, n=t["n"], not_applicable=True)
            else:
                step()
            by_step[name] = round(time.process_time() - c, 3)
    timing = dict(load_cpu_s=round(c1 - c0, 3), compute_cpu_s=round(time.process_time() - c1, 3),
                  cpu_s_by_step=by_step)
    json.dump(dict(input=args.stations, stations=t["n"], timing=timing, rows=rows), sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
