"""What the Python walks share: where the server is, and checks that say what went wrong."""

import os
import sys

URL = os.environ["ROLLCALL_URL"]
ADMIN_USERNAME = os.environ["ROLLCALL_ADMIN_USERNAME"]
ADMIN_PASSWORD = os.environ["ROLLCALL_ADMIN_PASSWORD"]


def check(condition, what):
    """Fails the walk, naming the step, unless `condition` holds."""
    if not condition:
        print(f"walk failed: {what}", file=sys.stderr, flush=True)
        raise SystemExit(1)
    print(f"  ok: {what}", flush=True)


def raises(exception_type, call, what):
    """Runs `call`, which must raise `exception_type`; returns the exception."""
    try:
        call()
    except exception_type as error:
        print(f"  ok: {what}", flush=True)
        return error
    print(f"walk failed: {what} (no {exception_type.__name__} raised)", file=sys.stderr)
    raise SystemExit(1)
