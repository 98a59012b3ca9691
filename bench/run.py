#!/usr/bin/env python3
"""Runs a command, printing its wall time and peak resident memory (from wait4's rusage).

Usage: bench/run.py LABEL COMMAND [ARGS...]
Prints: LABEL  <seconds> s  <peak bytes> bytes peak RSS
"""
import os
import sys
import time


def main() -> int:
    label, command = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execvp(command[0], command)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    print(f"{label:<40} {seconds:8.2f} s  {usage.ru_maxrss * 1024:>14,} bytes peak RSS  (exit {code})", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
