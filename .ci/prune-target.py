#!/usr/bin/env python3
"""Prunes a cargo target dir kept between CI runs: of each test or binary
executable (deps/<name>-<hash>) and each incremental cache, only the two
newest stay. Libraries stay: they are what the next run reuses."""
import collections
import os
import re
import shutil
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target"


def newest_two(paths, key):
    groups = collections.defaultdict(list)
    for p in paths:
        groups[key(p)].append(p)
    for group in groups.values():
        group.sort(key=os.path.getmtime, reverse=True)
        yield from group[2:]


def size(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


freed = 0
for profile in ("debug", "release"):
    deps = os.path.join(root, profile, "deps")
    if os.path.isdir(deps):
        exes = [os.path.join(deps, f) for f in os.listdir(deps) if "." not in f and re.search(r"-[0-9a-f]{16}$", f)]
        for stale in newest_two(exes, lambda p: re.sub(r"-[0-9a-f]{16}$", "", p)):
            freed += size(stale)
            os.remove(stale)
    inc = os.path.join(root, profile, "incremental")
    if os.path.isdir(inc):
        dirs = [os.path.join(inc, d) for d in os.listdir(inc)]
        for stale in newest_two(dirs, lambda p: re.sub(r"-[0-9a-z]+$", "", p)):
            freed += size(stale)
            shutil.rmtree(stale, ignore_errors=True)
print(f"pruned {freed / 1e9:.1f} GB from {root}; {size(root) / 1e9:.1f} GB kept")
