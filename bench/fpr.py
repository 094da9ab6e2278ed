"""Summarise bench/fpr.sh runs: per test, the share of applicable findings with p < 0.05 on clean
elections (nominal 0.05), the share of clean datasets with any 'deviates' verdict after the
multiple-testing adjustment (nominal <= alpha), and on tampered elections (digits invented in half of
region 2, "Costa Norte") which findings survive: the true manipulation (a digit test, nationally or
in Costa Norte) or something else."""
import json, pathlib, sys, collections

root = pathlib.Path(sys.argv[1])
rates = collections.defaultdict(lambda: collections.Counter())
datasets = collections.Counter()
DIGIT_TESTS = {"benford_second_digit", "second_digit_mean", "last_digit", "last_digit_mean",
               "last_two_digits", "zero_five_endings", "digit_pairs", "benford_first_digit"}
FABRICATED_REGION = "Costa Norte"
survivors = collections.Counter()
others = collections.Counter()
for results in sorted(root.glob("*/*/results.json")):
    run = json.loads(results.read_text())
    kind = run["dataset"]
    datasets[(kind, "runs")] += 1
    deviating = [f for f in run["findings"] if f["verdict"] == "deviates"]
    if deviating:
        datasets[(kind, "any_deviates")] += 1
    true = [f for f in deviating if f["test_id"] in DIGIT_TESTS
            and (f["region"] is None or f["region"][0] == FABRICATED_REGION)]
    survivors[(kind, "all")] += len(deviating)
    survivors[(kind, "true")] += len(true)
    if deviating and len(true) == len(deviating):
        datasets[(kind, "only_true")] += 1
    for f in deviating:
        if f not in true:
            where = "national" if f["region"] is None else ("Costa Norte" if f["region"][0] == FABRICATED_REGION else "other region")
            others[(kind, f["test_id"], f["subject"] == "registered voters", where)] += 1
    survivors[(kind, "tested")] += sum(f["q_value"] is not None for f in run["findings"])
    for f in run["findings"]:
        if f["p_value"] is None:
            continue
        key = (kind, f["test_id"], (f["statistic"] or {}).get("name", ""), "national" if f["region"] is None else "regional")
        rates[key]["n"] += 1
        rates[key]["p<0.05"] += f["p_value"] < 0.05
        rates[key]["deviates"] += f["verdict"] == "deviates"
print(f"{'dataset':10} {'test':22} {'statistic':16} {'scope':9} {'findings':>8} {'p<0.05':>7} {'deviates':>8}")
for key in sorted(rates):
    c = rates[key]
    print(f"{key[0]:10} {key[1]:22} {key[2]:16} {key[3]:9} {c['n']:8d} {c['p<0.05']/c['n']:7.3f} {c['deviates']/c['n']:8.3f}")
for kind in sorted({k for k, _ in datasets}):
    runs = datasets[(kind, "runs")]
    print(f"{kind}: {datasets[(kind, 'any_deviates')]} of {runs} datasets have a 'deviates' verdict after the adjustment "
          f"({survivors[(kind, 'all')]} surviving findings of {survivors[(kind, 'tested')]} tested, "
          f"{survivors[(kind, 'all')] / max(1, runs):.3f} per dataset)")
    if kind == "tampered":
        print(f"tampered: {survivors[(kind, 'true')]} of {survivors[(kind, 'all')]} surviving findings are digit tests "
              f"nationally or in {FABRICATED_REGION}; {datasets[(kind, 'only_true')]} of {datasets[(kind, 'any_deviates')]} "
              f"flagged datasets flag nothing else")
for (kind, test, registered, where), n in sorted(others.items()):
    print(f"{kind}: other survivor {test} ({'registered voters' if registered else 'candidate'}, {where}): {n}")
