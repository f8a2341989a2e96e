#!/usr/bin/env python3
"""Drive Rollcall from outside: the client walks, the OpenAPI fuzzer and the SCIM compliance
suite, each against the real `rollcall` binary started on a free loopback port over a fresh
database (SQLite; the SCIM suite also on PostgreSQL).

    python3 tests/outside.py --binary target/debug/rollcall clients [NAME ...]
    python3 tests/outside.py --binary target/debug/rollcall fuzz
    python3 tests/outside.py --binary target/debug/rollcall scim [sqlite] [postgres]

`clients` runs every walk in tests/clients (or the named ones), each against a server of its
own; `fuzz` runs schemathesis (tests/fuzz) against one server; `scim` runs scim2-tester
(tests/scim) against `/scim/v2` with an admin's API key, on a server over a fresh SQLite file
and then, when TEST_DATABASE_URL is set, on a server over a fresh PostgreSQL database made for
the run on that cluster (`rollcall_scim_<pid>`, dropped afterwards); naming a backend runs only
that one (`postgres` needs TEST_DATABASE_URL). The tools are installed at the versions pinned
in tests/requirements.txt (one virtual environment for the Python walks, the fuzzer and the
SCIM suite) and tests/clients/node/package-lock.json (`npm ci`) under --tools (default:
target/outside-tools). Go comes from the system (`go`), psql too for the PostgreSQL run.
Any failed walk, fuzzing finding or failed SCIM check makes the exit status non-zero.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "outside-admin-password-1"

PASSWD = (
    "root:x:0:0:root:/root:/bin/bash\n"
    "alice:x:1000:1000:Alice Liddell,,,:/home/alice:/bin/sh\n"
)
GROUP = "root:x:0:\nstaff:x:50:alice,bob\n"


def log(message):
    print(f"outside: {message}", flush=True)


class Server:
    """The real binary on 127.0.0.1:0 over a SQLite file in a temporary directory, or over the
    database at `database_url` (a fresh PostgreSQL database the caller made) when given."""

    def __init__(self, binary, extra_env=None, database_url=None):
        self.dir = tempfile.TemporaryDirectory(prefix="rollcall-outside-")
        base = Path(self.dir.name)
        (base / "passwd").write_text(PASSWD)
        (base / "group").write_text(GROUP)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLCALL_")}
        env.update(
            {
                "ROLLCALL_BIND": "127.0.0.1:0",
                "ROLLCALL_DATABASE_URL": database_url or f"sqlite://{base / 'rollcall.db'}",
                "ROLLCALL_ADMIN_USERNAME": ADMIN_USERNAME,
                "ROLLCALL_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "ROLLCALL_PASSWD_FILE": str(base / "passwd"),
                "ROLLCALL_GROUP_FILE": str(base / "group"),
                "ROLLCALL_LOG_FORMAT": "json",
                # Start-up lines (the address) and every warning or error; no line per request.
                "ROLLCALL_LOG_FILTER": "warn,rollcall_server=info",
            }
        )
        env.update(extra_env or {})
        self.stderr = open(base / "stderr.txt", "w+b")
        self.process = subprocess.Popen(
            [binary], cwd=base, env=env, stdout=subprocess.DEVNULL, stderr=self.stderr
        )
        self.url = self._wait_for_address()

    def _wait_for_address(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"rollcall exited at start-up:\n{self.log_text()}")
            for line in self.log_text().splitlines():
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("message") == "rollcall is listening":
                    url = f"http://{event['address']}"
                    urllib.request.urlopen(f"{url}/readyz", timeout=10).read()
                    return url
            time.sleep(0.2)
        text = self.log_text()
        self.stop()
        raise SystemExit(f"rollcall did not start within 60 s:\n{text}")

    def log_text(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()
        self.dir.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Tools:
    """Pinned client libraries and the fuzzer, installed once under one directory."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.venv = self.root / "venv"

    def python(self):
        python = self.venv / "bin" / "python"
        stamp = self.venv / "requirements.stamp"
        wanted = (HERE / "requirements.txt").read_text()
        if not stamp.exists() or stamp.read_text() != wanted:
            log("installing the pinned Python packages")
            shutil.rmtree(self.venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 "--no-deps", "-r", str(HERE / "requirements.txt")],
                check=True,
            )
            stamp.write_text(wanted)
        return python

    def node_modules(self):
        """`npm ci` of tests/clients/node into the tools directory; returns NODE_PATH."""
        target = self.root / "node"
        stamp = target / "lock.stamp"
        lock = (HERE / "clients/node/package-lock.json").read_text()
        if not stamp.exists() or stamp.read_text() != lock:
            log("installing the pinned npm packages")
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            for f in ("package.json", "package-lock.json"):
                shutil.copy(HERE / "clients/node" / f, target / f)
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=target, check=True
            )
            stamp.write_text(lock)
        return target / "node_modules"


def walks(tools):
    """Every client walk: name → the command that runs it."""
    clients = HERE / "clients"

    def python(script):
        return lambda: [str(tools.python()), str(clients / script)]

    def node(script):
        return lambda: ["node", str(clients / "node" / script)]

    return {
        "nodeum-sdk": python("nodeum_walk.py"),
        "py-dactyl": python("pydactyl_walk.py"),
        "fastapi-oauth2": python("oauth2_password_walk.py"),
        "nodeactyl": node("nodeactyl_walk.js"),
        "starkiller": node("starkiller_walk.js"),
        "go-net-http": lambda: ["go", "run", str(clients / "go" / "unryo_walk.go")],
    }


def run_clients(binary, tools, names):
    table = walks(tools)
    unknown = [n for n in names if n not in table]
    if unknown:
        raise SystemExit(f"unknown walks {unknown}; known: {sorted(table)}")
    failed = []
    for name in names or list(table):
        command = table[name]()
        env = dict(os.environ)
        if name in ("nodeactyl", "starkiller"):
            env["NODE_PATH"] = str(tools.node_modules())
        if name == "go-net-http":
            env.setdefault("GOCACHE", str(tools.root / "go-cache"))
            env["GO111MODULE"] = "off"
        with Server(binary) as server:
            env.update(
                {
                    "ROLLCALL_URL": server.url,
                    "ROLLCALL_ADMIN_USERNAME": ADMIN_USERNAME,
                    "ROLLCALL_ADMIN_PASSWORD": ADMIN_PASSWORD,
                }
            )
            log(f"walk {name} against {server.url}")
            started = time.monotonic()
            result = subprocess.run(command, env=env)
            took = time.monotonic() - started
            if result.returncode != 0:
                failed.append(name)
                log(f"walk {name} FAILED after {took:.1f} s; the server's log:")
                print(server.log_text(), flush=True)
            else:
                log(f"walk {name} passed in {took:.1f} s")
    if failed:
        raise SystemExit(f"failed walks: {', '.join(failed)}")


def run_fuzz(binary, tools):
    python = tools.python()
    fuzz = HERE / "fuzz"
    # The fuzzer needs an admin whose credentials it cannot take away from itself.
    with Server(binary, extra_env=fuzz_server_env()) as server:
        env = dict(os.environ)
        env.update(
            {
                "ROLLCALL_URL": server.url,
                "ROLLCALL_ADMIN_USERNAME": ADMIN_USERNAME,
                "ROLLCALL_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "SCHEMATHESIS_BIN": str(python.parent / "schemathesis"),
                "FUZZ_REPORT_DIR": str(tools.root / "fuzz-report"),
            }
        )
        log(f"fuzzing {server.url}")
        result = subprocess.run([str(python), str(fuzz / "run.py")], env=env)
        if result.returncode != 0:
            tail = "\n".join(server.log_text().splitlines()[-200:])
            print(tail, flush=True)
            raise SystemExit("the fuzzer found problems (above)")


def fuzz_server_env():
    # Cheaper Argon2id (the fuzzer creates many users) and no login throttle: thousands of
    # generated wrong passwords from one address would otherwise make most of the run 429s.
    # Per-user ceilings out of reach: one principal makes every key and configuration of the
    # run, and a refusal at the ceiling (a 422 of its own, tested in tests/api/limits.rs) would
    # read as a valid request refused.
    return {
        "ROLLCALL_MAX_API_KEYS_PER_USER": "1000000",
        "ROLLCALL_MAX_CONFIGURATIONS_PER_USER": "1000000",
        "ROLLCALL_ARGON2_MEMORY_KIB": "1024",
        "ROLLCALL_ARGON2_ITERATIONS": "1",
        "ROLLCALL_LOGIN_THROTTLE": "false",
    }


# Each backend's suite run (about 140 requests, seconds) must end within this; .ci/run gives
# the whole command 600 s.
SCIM_RUN_TIMEOUT_S = 240


class PostgresDatabase:
    """A fresh database on the cluster of TEST_DATABASE_URL, dropped on exit."""

    def __init__(self, test_database_url):
        parts = urllib.parse.urlsplit(test_database_url)
        self.name = f"rollcall_scim_{os.getpid()}"
        self.admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
        self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))

    def _psql(self, sql):
        result = subprocess.run(
            ["psql", self.admin_url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise SystemExit(f"psql failed on {sql!r}: {result.stderr.strip()}")

    def __enter__(self):
        self._psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._psql(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc):
        self._psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def run_scim(binary, tools, names):
    known = ["sqlite", "postgres"]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown backends {unknown}; known: {known}")
    test_database_url = os.environ.get("TEST_DATABASE_URL")
    if "postgres" in names and not test_database_url:
        raise SystemExit("the postgres backend needs TEST_DATABASE_URL")
    backends = names or ["sqlite"] + (["postgres"] if test_database_url else [])
    if not test_database_url and not names:
        log("TEST_DATABASE_URL is not set: scim2-tester runs on SQLite only")
    # `timeout` ends this command with SIGTERM: leave through the `with` blocks, which stop the
    # server and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    python = tools.python()
    totals = {"passed": 0, "failed": 0}
    failed = []
    for backend in backends:
        if backend == "postgres":
            with PostgresDatabase(test_database_url) as database:
                ok = scim_on(binary, python, backend, totals, database.url)
        else:
            ok = scim_on(binary, python, backend, totals, None)
        if not ok:
            failed.append(backend)
    print(f"scim: {totals['passed']} passed, {totals['failed']} failed", flush=True)
    if failed:
        raise SystemExit(f"scim2-tester failed on {', '.join(failed)} (above)")


def scim_on(binary, python, backend, totals, database_url):
    """One suite run against a fresh server; True when every check passed."""
    with (
        Server(binary, database_url=database_url) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        counts = Path(tmp) / "counts.json"
        env = dict(os.environ)
        env.update(
            {
                "ROLLCALL_URL": server.url,
                "ROLLCALL_ADMIN_USERNAME": ADMIN_USERNAME,
                "ROLLCALL_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "SCIM_BACKEND": backend,
                "SCIM_COUNTS_FILE": str(counts),
            }
        )
        log(f"scim2-tester on {backend} against {server.url}/scim/v2")
        started = time.monotonic()
        try:
            command = [str(python), str(HERE / "scim" / "run.py")]
            result = subprocess.run(command, env=env, timeout=SCIM_RUN_TIMEOUT_S)
            ok = result.returncode == 0
        except subprocess.TimeoutExpired:
            log(f"scim2-tester on {backend} did not finish within {SCIM_RUN_TIMEOUT_S} s")
            ok = False
        took = time.monotonic() - started
        if counts.exists():
            got = json.loads(counts.read_text())
            totals["passed"] += got["passed"]
            totals["failed"] += got["failed"]
        elif not ok:
            totals["failed"] += 1
        if ok:
            log(f"scim2-tester on {backend} passed in {took:.1f} s")
        else:
            log(f"scim2-tester on {backend} FAILED after {took:.1f} s; the server's log:")
            print("\n".join(server.log_text().splitlines()[-200:]), flush=True)
        return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=str(ROOT / "target/debug/rollcall"))
    parser.add_argument("--tools", default=str(ROOT / "target/outside-tools"))
    parser.add_argument("what", choices=["clients", "fuzz", "scim"])
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    binary = str(Path(args.binary).resolve())
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"no rollcall binary at {binary} (cargo build -p rollcall-server)")
    tools = Tools(args.tools)
    if args.what == "clients":
        run_clients(binary, tools, args.names)
    elif args.what == "scim":
        run_scim(binary, tools, args.names)
    else:
        run_fuzz(binary, tools)


if __name__ == "__main__":
    main()
