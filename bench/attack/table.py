#!/usr/bin/env python3
"""Prints bench/attack/run.sh's results as the Markdown tables of BENCHMARKS.md.

    python3 bench/attack/table.py bench/out/attack/results.txt
"""
import re
import sys


def parse(path):
    rows = []
    for line in open(path, encoding="utf-8"):
        if not line.startswith("RESULT"):
            continue
        fields = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
        fields = {key: value.strip('"') for key, value in fields.items()}
        error = re.search(r"first citizen error: (.*?)(?: load=|$)", line)
        fields["first_error"] = error.group(1).strip() if error else ""
        rows.append(fields)
    return rows


def main():
    rows = parse(sys.argv[1])
    print("| scenario | build | citizens' lookups | p50 ms | p95 ms | p99 ms | max ms | errors | 429 "
          "| server CPU (cores) | attack | SIGTERM to exit, s | load average |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        scenario = row.get("scenario", "?")
        attack = ""
        if "idle" in scenario or "slowloris" in scenario:
            attack = (f"{row.get('held', '?')} sockets open at the attacker, {row.get('server_files', '?')} "
                      f"files open in the server, {row.get('closed_by_server', '?')} closed by the server")
        elif scenario == "expensive":
            attack = (f"{row.get('answered_per_s', '?')} documents/s, {row.get('mb_per_s', '?')} MB/s, "
                      f"{row.get('server_cpu_ms_per_answer', '?')} ms of server CPU each")
        elif scenario == "scrape":
            attack = f"{row.get('answered_per_s', '?')} answers/s, {row.get('refused_attack', '?')} refused (429)"
        print("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            scenario, row.get("label", "?"), row.get("citizens", "?"), row.get("p50_ms", "?"),
            row.get("p95_ms", "?"), row.get("p99_ms", "?"), row.get("max_ms", "?"),
            row.get("errors", "?"), row.get("refused", "?"), row.get("server_cpu_share", "?"),
            attack, row.get("sigterm_s", "?"), row.get("load", "?")))
    for row in rows:
        if row.get("first_error"):
            print(f"\n{row.get('label')} {row.get('scenario')}: first citizen error: {row['first_error']}")


if __name__ == "__main__":
    main()
