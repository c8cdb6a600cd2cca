#!/usr/bin/env python3
"""contrib/ is usable as shipped: the Grafana dashboard is valid JSON with
well-formed panels, the Prometheus files are valid YAML of the right
shape, and every metric that a query of theirs names is one the real
diemcau-signal exports on /metrics (started here on a private config on
loopback with metrics_open = true), besides Prometheus's own "up".
TAP output."""
import argparse
import json
import os
import re
import sys
import time
import urllib.request

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
import harness  # noqa: E402

PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "by", "without", "on", "ignoring", "group_left",
    "group_right", "rate", "irate", "increase", "delta", "and", "or", "unless", "bool", "offset",
    "avg_over_time", "max_over_time", "min_over_time", "clamp_min", "clamp_max", "abs", "topk",
    "bottomk", "label_values", "histogram_quantile", "vector", "scalar", "time",
}
PROMETHEUS_OWN = {"up"}


def metric_names(expr):
    """The metric names in a PromQL expression: identifiers outside label
    matchers, strings and range selectors, that are not functions or
    keywords, and not the grouping labels of by/without/on."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    e = re.sub(r"\$\w+", "", e)
    e = re.sub(r"label_values\(([^,()]+),[^)]*\)", r"(\1)", e)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        word = m.group(0)
        if word in PROMQL_WORDS or e[m.end():].lstrip().startswith("("):
            continue
        if re.fullmatch(r"\d+[smhdwy]", word) or word in ("e", "inf", "nan"):
            continue
        names.add(word)
    return names


def exported(build, source):
    """The metric families diemcau-signal's /metrics declares (# TYPE),
    once the bridge's first statistics have come (diemcau_stats_age_seconds
    appears only then)."""
    wd = harness.workdir("contrib")
    config, port = harness.private_config(source, wd)
    text = open(config, encoding="utf-8").read()
    text = re.sub(r"^metrics_open = .*$", "metrics_open = true", text, count=1, flags=re.M)
    open(config, "w", encoding="utf-8").write(text)
    servers = harness.Servers(build, config, port, wd)
    try:
        if not servers.start():
            raise RuntimeError("the servers did not start:\n" + servers.log("signal"))
        end = time.time() + 15
        while True:
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
            if "diemcau_stats_age_seconds" in body or time.time() > end:
                break
            time.sleep(0.5)
    finally:
        servers.stop()
    return set(re.findall(r"^# TYPE (\S+) ", body, flags=re.M))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    tap = harness.Tap()
    contrib = os.path.join(a.source, "contrib")
    names = exported(a.build, a.source)
    tap.ok(len(names) >= 10, f"diemcau-signal's /metrics declares {len(names)} families", names)
    known = names | PROMETHEUS_OWN

    path = os.path.join(contrib, "grafana", "diemcau-links.json")
    try:
        dash = json.load(open(path, encoding="utf-8"))
    except ValueError as err:
        tap.ok(False, "the Grafana dashboard is valid JSON", err)
        return tap.done()
    panels = dash.get("panels", [])
    ids = [p.get("id") for p in panels]
    shape = [p.get("title") for p in panels
             if not p.get("type") or not p.get("gridPos") or not p.get("targets")
             or any(not t.get("expr") or not t.get("refId") for t in p["targets"])]
    tap.ok(dash.get("title") and dash.get("uid") and panels and len(set(ids)) == len(ids) and not shape,
           "the Grafana dashboard is valid JSON: a title, a uid, panels with ids, positions and queries",
           shape)
    exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        if isinstance(q, dict):
            exprs.append(q.get("query", ""))
        elif v.get("type") == "query" and q:
            exprs.append(q)
    used = set().union(*(metric_names(e) for e in exprs))
    tap.ok(used and used <= known, f"the dashboard's queries name only exported metrics ({len(used)})",
           f"unknown: {sorted(used - known)}")
    tap.ok({"diemcau_site_quality_score", "diemcau_site_bitrate_bps", "diemcau_site_loss_ratio",
            "diemcau_site_rtt_seconds", "diemcau_site_present"} <= used,
           "the dashboard shows link quality, bitrate, loss, RTT and presence per site", sorted(used))

    rules = yaml.safe_load(open(os.path.join(contrib, "prometheus", "diemcau-alerts.yml"), encoding="utf-8"))
    alerts = [r for g in rules.get("groups", []) for r in g.get("rules", [])]
    bad = [r.get("alert") for r in alerts
           if not r.get("alert") or not r.get("expr") or not re.fullmatch(r"\d+[smh]", str(r.get("for", "")))
           or not r.get("labels", {}).get("severity") or not r.get("annotations", {}).get("summary")]
    tap.ok(alerts and not bad, f"the alert rules are valid YAML: {len(alerts)} rules with expr, for, "
           "severity and summary", bad)
    used = set().union(*(metric_names(r["expr"]) for r in alerts))
    tap.ok(used <= known, f"the alert rules name only exported metrics ({len(used)})",
           f"unknown: {sorted(used - known)}")
    poor = [r for r in alerts if "diemcau_site_quality_score" in r["expr"] and r.get("for") == "2m"]
    down = [r for r in alerts if "diemcau_bridge_link_up" in r["expr"]]
    tap.ok(poor and down, "alerts for a site whose score stays poor for 2 minutes and for the bridge down")

    scrape = yaml.safe_load(open(os.path.join(contrib, "prometheus", "diemcau-scrape.yml"), encoding="utf-8"))
    jobs = scrape.get("scrape_configs", [])
    tap.ok(jobs and all(j.get("job_name") and j.get("static_configs") for j in jobs)
           and any(j.get("metrics_path") == "/metrics" for j in jobs),
           "the scrape config is valid YAML with a job for /metrics", jobs)
    tap.ok(metric_names('sum by (site) (rate(x_total{a="b"}[1m])) > on (job) y') == {"x_total", "y"}
           and metric_names("label_values(z, site)") == {"z"},
           "the metric name extraction skips functions, labels, ranges and groupings")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
