"""Schemathesis hooks for .ci/schemathesis.sh.

Records, for every operation schemathesis called, the statuses it got, so
the script can tell how many operations were exercised past their
authentication and validation (at least one 2xx). A run whose token died
part-way would show as a drop in that number instead of passing quietly.
"""
import json
import os

import schemathesis

RECORD = os.environ["AUTHD_ST_RECORD"]
_seen: dict[str, set[int]] = {}


@schemathesis.hook
def after_call(context, case, response):
    label = f"{case.operation.method.upper()} {case.operation.path}"
    statuses = _seen.setdefault(label, set())
    if response.status_code not in statuses:
        statuses.add(response.status_code)
        with open(RECORD + ".tmp", "w") as f:
            json.dump({k: sorted(v) for k, v in _seen.items()}, f)
        os.replace(RECORD + ".tmp", RECORD)
