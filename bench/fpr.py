"""Summarise bench/fpr.sh runs: per test, the share of applicable findings with p < 0.05 on clean
elections (nominal 0.05) and the share of clean datasets with any 'deviates' verdict after BH."""
import json, pathlib, sys, collections

root = pathlib.Path(sys.argv[1])
rates = collections.defaultdict(lambda: collections.Counter())
datasets = collections.Counter()
for results in sorted(root.glob("*/*/results.json")):
    run = json.loads(results.read_text())
    kind = run["dataset"]
    datasets[(kind, "runs")] += 1
    if any(f["verdict"] == "deviates" for f in run["findings"]):
        datasets[(kind, "any_deviates")] += 1
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
    print(f"{kind}: {datasets[(kind, 'any_deviates')]} of {runs} datasets have a 'deviates' verdict after BH")
