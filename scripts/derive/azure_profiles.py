"""Derives Loadshape workload profiles from the Azure LLM inference traces of 2023.

Reads ../shared/data/workloads/azure-llm-2023/AzureLLMInferenceTrace_{conv,code}.csv in place (never copies them)
and writes Configs/workloads/azure-conv-2023.json and Configs/workloads/azure-code-2023.json
(schema loadshape-workload-profile-v1, read by WorkloadProfile.load in Sources/LoadshapeWorkload/WorkloadProfile.swift):

- tokens: the joint (prompt, output) histogram on 24 x 24 log-spaced bins, by the rule of
  JointTokenHistogram.fit (Sources/LoadshapeWorkload/JointTokenHistogram.swift): each axis spans
  [max(0.5, min - 0.5), max + 0.5], edges = exp of equally spaced logs, a value v goes to the bin i with
  edges[i] <= v < edges[i+1] (top edge in the last bin). Probabilities are counts / N rounded to 1e-6 by largest
  remainder, so they are multiples of 1e-6 that sum to exactly 1 (renormalised) and no observed cell drops to 0.
- rate_shape: the trace's arrivals counted in 60 equal bins over one loop period of the trace, i.e. its span plus
  one mean gap (the period TraceReplay loops with), divided by the mean count: 60 values with mean 1. The 2023
  traces cover 57-58 minutes, not a full hour, so a bin is ~58 s (interval_s), not exactly 60 s.
- mean_rate_per_s: requests / period (= (N - 1) / span).
No request rows are written: these are derived parameters, which may be committed.

Usage (from the package root; numpy only):  python3 scripts/derive/azure_profiles.py [--shared ../shared]
"""
import argparse
import datetime
import hashlib
import json
import os

import numpy as np

BINS = 24
SHAPE_BINS = 60
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SOURCE_REPO = "https://github.com/Azure/AzurePublicDataset"
SOURCE_COMMIT = "790921015d50dd6aae7f7e47f39ba0e235ad6b08"
ATTRIBUTION = ('P. Patel, E. Choukse, C. Zhang, A. Shah, Í. Goiri, S. Maleki, R. Bianchini, "Splitwise: Efficient '
               'generative LLM inference using phase splitting", ISCA 2024.')
TRACES = {
    "conv": ("azure-conv-2023", "AzureLLMInferenceTrace_conv.csv",
             "2f1e5b666d4e3055fdbba98598ce2ec307767b9064e03e2fa46676dbcc7d0bf8", "conversation service"),
    "code": ("azure-code-2023", "AzureLLMInferenceTrace_code.csv",
             "54e9a6d2a4bd06ba1e060304b900abbc74cbea53de96506e60fe5bb4f2277fb6", "coding service"),
}


def read_trace(path):
    """Arrival times (s from the first request), prompt and output tokens. The file is CRLF, no final newline."""
    with open(path, "rb") as f:
        raw = f.read()
    lines = [l for l in raw.split(b"\n") if l.strip()]
    header = [h.strip().decode() for h in lines[0].rstrip(b"\r").split(b",")]
    assert header == ["TIMESTAMP", "ContextTokens", "GeneratedTokens"], header
    stamps, inputs, outputs = [], [], []
    for line in lines[1:]:
        t, c, g = line.rstrip(b"\r").decode().split(",")
        day, clock = t.split(" ")
        hms, frac = clock.split(".")
        base = datetime.datetime.strptime(f"{day} {hms}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc)
        # Integer nanoseconds keep the 7 fractional digits exact.
        stamps.append(int(base.timestamp()) * 10**9 + int(frac.ljust(9, "0")))
        inputs.append(int(c))
        outputs.append(int(g))
    stamps = np.array(stamps, dtype=np.int64)
    order = np.argsort(stamps, kind="stable")
    t0 = stamps[order[0]]
    arrivals = (stamps[order] - t0).astype(np.float64) * 1e-9
    return arrivals, np.array(inputs)[order], np.array(outputs)[order], stamps[order[0]], stamps[order[-1]]


def log_edges(values, bins):
    lo = max(0.5, float(values.min()) - 0.5)
    hi = float(values.max()) + 0.5
    a, b = np.log(lo), np.log(hi)
    edges = np.exp(a + (b - a) * np.arange(bins + 1) / bins)
    edges[0], edges[-1] = lo, hi
    return edges


def bin_index(values, edges):
    return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)


def micro_probabilities(counts):
    """counts / N as integer millionths summing to exactly 10**6 (largest remainder, ties by cell order)."""
    flat = counts.ravel().astype(np.float64)
    exact = flat * 1e6 / flat.sum()
    micro = np.floor(exact).astype(np.int64)
    short = 10**6 - int(micro.sum())
    order = np.argsort(-(exact - micro), kind="stable")
    micro[order[:short]] += 1
    assert micro.sum() == 10**6 and np.all(micro[flat > 0] > 0)
    return micro.reshape(counts.shape)


def iso(ns):
    return datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S") + \
        f".{ns % 10**9:09d}"[:8]


def derive(key, shared):
    name, filename, sha, service = TRACES[key]
    path = os.path.join(shared, "data", "workloads", "azure-llm-2023", filename)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != sha:
        raise SystemExit(f"{path}: sha256 {digest} is not the README's {sha}")
    arrivals, inputs, outputs, first_ns, last_ns = read_trace(path)
    n = len(arrivals)
    span = float(arrivals[-1])
    period = span * n / (n - 1)

    in_edges, out_edges = log_edges(inputs, BINS), log_edges(outputs, BINS)
    counts = np.zeros((BINS, BINS), dtype=np.int64)
    np.add.at(counts, (bin_index(inputs, in_edges), bin_index(outputs, out_edges)), 1)
    micro = micro_probabilities(counts)

    interval = period / SHAPE_BINS
    shape_counts = np.bincount(np.minimum((arrivals / interval).astype(np.int64), SHAPE_BINS - 1),
                               minlength=SHAPE_BINS)
    shape = shape_counts / (n / SHAPE_BINS)

    rel = os.path.relpath(path, ROOT) if os.path.isabs(path) else path
    return {
        "schema": "loadshape-workload-profile-v1",
        "name": name,
        "description": f"Azure LLM inference trace 2023, {service}: joint prompt/output token histogram "
                       f"({BINS}x{BINS} log bins), the trace's rate shape in {SHAPE_BINS} bins over its loop period, "
                       "and its mean rate. Derived parameters only; no request rows.",
        "mean_rate_per_s": round(n / period, 6),
        "rate_shape": {
            "interval_s": round(interval, 9),
            "note": f"{SHAPE_BINS} equal bins over span + one mean gap ({period:.3f} s) from the first request; "
                    "arrival count per bin / mean count (mean 1)",
            "values": [round(float(v), 6) for v in shape],
        },
        "tokens": {
            "kind": "joint-log-histogram",
            "input_edges": [float(f"{e:.17g}") for e in in_edges],
            "output_edges": [float(f"{e:.17g}") for e in out_edges],
            "probabilities": [[int(m) / 10**6 for m in row] for row in micro],
        },
        "summary": {
            "requests": n,
            "span_s": round(span, 7),
            "first_request": iso(first_ns),
            "last_request": iso(last_ns),
            "input_tokens": {"mean": round(float(inputs.mean()), 4), "median": float(np.median(inputs)),
                             "p99": float(np.percentile(inputs, 99)), "min": int(inputs.min()),
                             "max": int(inputs.max())},
            "output_tokens": {"mean": round(float(outputs.mean()), 4), "median": float(np.median(outputs)),
                              "p99": float(np.percentile(outputs, 99)), "min": int(outputs.min()),
                              "max": int(outputs.max())},
        },
        "provenance": {
            "source": {
                "repository": SOURCE_REPO,
                "path": f"data/{filename}",
                "commit": SOURCE_COMMIT,
                "sha256": sha,
                "read_from": rel,
            },
            "license": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
            "attribution": ATTRIBUTION,
            "changes": "derived statistics only (histogram, rate shape, mean rate); no request rows",
            "script": "scripts/derive/azure_profiles.py",
            "numpy": np.__version__,
            "date": "2026-12-02",
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"), help="the shared/ folder")
    args = ap.parse_args()
    shared = os.path.normpath(args.shared)
    out_dir = os.path.join(ROOT, "Configs", "workloads")
    os.makedirs(out_dir, exist_ok=True)
    for key in ("conv", "code"):
        doc = derive(key, shared)
        out = os.path.join(out_dir, doc["name"] + ".json")
        with open(out, "w") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"wrote {os.path.relpath(out, ROOT)} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
