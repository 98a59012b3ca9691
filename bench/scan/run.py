#!/usr/bin/env python3
"""Decoder measurement for veedor-scan: renders the fixed sheet set, runs every decoder over it
single-threaded, and prints success rate and per-page milliseconds, with ratios to zxing-cpp.

Needs: cargo, `apt-get install -y zbar-tools`, `pip install zxing-cpp pillow`.

    python3 bench/scan/run.py [--dir bench/out/scan] [--per-condition 13] [--skip-render]
                              [--decoders ladder,rxing,rqrr,zbarimg,zxing-cpp]

Timing covers reading the file and decoding it, one page at a time, one thread. zbarimg is run
once per file, so its time includes starting the process (about 5 ms here, measured with an
empty image and reported).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = os.path.join(ROOT, "target", "release", "examples", "scan_bench")


def manifest(folder):
    rows = []
    with open(os.path.join(folder, "manifest.tsv")) as handle:
        for line in handle:
            file, condition, payload = line.rstrip("\n").split("\t")
            rows.append((file, condition, payload))
    return rows


def run_rust(folder, decoder):
    output = subprocess.run([BENCH, "decode", folder, decoder], check=True, capture_output=True, text=True).stdout
    results = {}
    for line in output.splitlines():
        file, ok, ms, strategy = line.split("\t")
        results[file] = (ok == "1", float(ms), strategy)
    return results


def run_zxing_cpp(folder, rows):
    import zxingcpp
    from PIL import Image

    results = {}
    for file, _, payload in rows:
        start = time.perf_counter()
        image = Image.open(os.path.join(folder, file))
        image.load()
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        ms = (time.perf_counter() - start) * 1000
        results[file] = (any(result.text == payload for result in found), ms, "zxing-cpp")
    return results


def run_zbarimg(folder, rows):
    results = {}
    for file, _, payload in rows:
        start = time.perf_counter()
        completed = subprocess.run(
            ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", os.path.join(folder, file)],
            capture_output=True, text=True)
        ms = (time.perf_counter() - start) * 1000
        texts = completed.stdout.splitlines()
        results[file] = (payload in texts, ms, "zbarimg")
    return results


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default=os.path.join(ROOT, "bench", "out", "scan"))
    parser.add_argument("--per-condition", type=int, default=13)
    parser.add_argument("--skip-render", action="store_true")
    parser.add_argument("--decoders", default="ladder,rxing,rqrr,zbarimg,zxing-cpp")
    arguments = parser.parse_args()

    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "veedor-scan", "--example", "scan_bench"],
                   cwd=ROOT, check=True)
    if not arguments.skip_render:
        if os.path.isdir(arguments.dir):
            shutil.rmtree(arguments.dir)
        subprocess.run([BENCH, "render", arguments.dir, str(arguments.per_condition)], check=True)
    rows = manifest(arguments.dir)
    conditions = sorted({condition for _, condition, _ in rows}, key=lambda c: [r[1] for r in rows].index(c))

    measured = {}
    for decoder in arguments.decoders.split(","):
        print(f"running {decoder} over {len(rows)} files ...", file=sys.stderr, flush=True)
        if decoder == "zxing-cpp":
            measured[decoder] = run_zxing_cpp(arguments.dir, rows)
        elif decoder == "zbarimg":
            if shutil.which("zbarimg") is None:
                print("zbarimg not installed, skipped", file=sys.stderr)
                continue
            measured[decoder] = run_zbarimg(arguments.dir, rows)
        else:
            measured[decoder] = run_rust(arguments.dir, decoder)

    reference = measured.get("zxing-cpp")
    print(f"\n{len(rows)} sheets, {len(conditions)} conditions, single thread per page\n")
    print("| decoder | read | rate | median ms | p90 ms | rate / zxing-cpp | median / zxing-cpp | misses zxing-cpp read |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for decoder, results in measured.items():
        oks = [results[file][0] for file, _, _ in rows]
        times = [results[file][1] for file, _, _ in rows]
        read = sum(oks)
        median = statistics.median(times)
        p90 = percentile(times, 0.9)
        if reference:
            reference_read = sum(reference[file][0] for file, _, _ in rows)
            reference_median = statistics.median(reference[file][1] for file, _, _ in rows)
            missed = sum(1 for file, _, _ in rows if reference[file][0] and not results[file][0])
            ratios = f"{read / max(reference_read, 1):.2f} | {median / reference_median:.2f} | {missed}"
        else:
            ratios = "- | - | -"
        print(f"| {decoder} | {read}/{len(rows)} | {100 * read / len(rows):.1f}% | {median:.1f} | {p90:.1f} | {ratios} |")

    print("\nPer condition (read / sheets):\n")
    print("| condition | " + " | ".join(measured) + " |")
    print("|---|" + "---:|" * len(measured))
    for condition in conditions:
        files = [file for file, c, _ in rows if c == condition]
        cells = [f"{sum(measured[d][f][0] for f in files)}/{len(files)}" for d in measured]
        print(f"| {condition} | " + " | ".join(cells) + " |")

    if "ladder" in measured:
        counts = defaultdict(int)
        for file, _, _ in rows:
            counts[measured["ladder"][file][2]] += 1
        print("\nLadder: pages per strategy that read them: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        misses = [file for file, _, _ in rows if not measured["ladder"][file][0]]
        if misses:
            print("Ladder misses: " + " ".join(misses))


if __name__ == "__main__":
    main()
