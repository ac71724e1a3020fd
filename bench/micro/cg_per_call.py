#!/usr/bin/env python3
"""Instructions per call of functions in a callgrind profile.

    bench/micro/cg_per_call.py bench/results/callgrind.X.out 'sb::sio::encode_event(' ...

For each function whose name contains one of the given substrings: calls,
inclusive Ir and Ir per call (summed over every call site).
"""
import re
import sys


def main() -> None:
    path, patterns = sys.argv[1], sys.argv[2:]
    names: dict[str, str] = {}  # compressed id -> name
    totals: dict[str, list[int]] = {}  # name -> [calls, inclusive Ir]
    pending_cfn = None
    expect_cost = False
    calls = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if expect_cost:
                parts = line.split()
                if pending_cfn is not None and len(parts) >= 2:
                    t = totals.setdefault(pending_cfn, [0, 0])
                    t[0] += calls
                    t[1] += int(parts[1])
                expect_cost = False
                continue
            m = re.match(r"cfn=\((\d+)\)(?: (.*))?", line)
            if m:
                if m.group(2):
                    names[m.group(1)] = m.group(2).strip()
                pending_cfn = names.get(m.group(1))
                continue
            m = re.match(r"fn=\((\d+)\)(?: (.*))?", line)
            if m and m.group(2):
                names[m.group(1)] = m.group(2).strip()
                continue
            m = re.match(r"calls=(\d+)", line)
            if m:
                calls = int(m.group(1))
                expect_cost = True
    for pat in patterns:
        for name, (n, ir) in sorted(totals.items()):
            if pat in name and n:
                print(f"{ir / n:12.0f} Ir/call  {n:8d} calls  {name[:110]}")


if __name__ == "__main__":
    main()
