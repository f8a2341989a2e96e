"""schemathesis hooks for Rollcall (loaded through SCHEMATHESIS_HOOKS by tests/fuzz/run.py).

Usernames, e-mails, external ids and configuration keys are unique in Rollcall (case-
insensitively), which JSON Schema cannot say. Generated data repeats such values across
requests (the coverage phase sends the same example many times), and a repeated one is
refused as taken: correct behaviour that `positive_data_acceptance` would report as a valid
request refused. So before each call a unique counter is woven into those values, keeping them
valid for the schema when they were (schemathesis revalidates a case after a hook edits it, so
an edit can never pass an invalid value off as valid). Nothing else is changed.
"""

import itertools
import re

import schemathesis

_counter = itertools.count(1)
_USERNAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


def _unique_username(value, n):
    if not isinstance(value, str) or not _USERNAME.fullmatch(value) or len(value) > 191:
        return value
    return f"{value[:191 - len(str(n)) - 2]}.u{n}"


def _base36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, d = divmod(n, 36)
        out = digits[d] + out
        if n == 0:
            return out


def _unique_email(value, n):
    if not isinstance(value, str) or value.count("@") != 1:
        return value
    local, domain = value.split("@")
    if not local:
        return value
    tag = f"u{n}."
    if len(local) + len(tag) <= 64 and len(value) + len(tag) <= 191:
        return f"{tag}{local}@{domain}"
    # A long domain: the local part becomes the counter alone, if that fits.
    short = _base36(n)
    if len(domain) + 1 + len(short) <= 191:
        return f"{short}@{domain}"
    # No room at all: the counter replaces the end of the domain's first label (same length).
    labels = domain.split(".")
    if len(labels) >= 2 and len(labels[0]) > len(short):
        labels[0] = labels[0][: -len(short)] + short
        return f"{local}@{'.'.join(labels)}"
    return value


def _unique_text(value, n, limit):
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        return value
    tag = f".u{n}"
    return f"{value[:limit - len(tag)]}{tag}"


@schemathesis.hook
def before_call(context, case, kwargs):
    body = case.body
    if not isinstance(body, dict):
        return
    n = next(_counter)
    path = case.operation.path
    if path.startswith("/api/v2/users/me/configurations"):
        if "key" in body:
            body["key"] = _unique_text(body["key"], n, 255)
        return
    if path in ("/token", "/api/v2/users/sign_in"):
        return
    if "username" in body:
        body["username"] = _unique_username(body["username"], n)
    if "email" in body:
        body["email"] = _unique_email(body["email"], n)
    if "external_id" in body:
        body["external_id"] = _unique_text(body["external_id"], n, 191)
