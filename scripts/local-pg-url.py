"""Prints TEST_DATABASE_URL (argv[1]) with its database replaced by argv[2], refusing a URL
that is not postgres:// or that points at another machine: the benchmarks only ever load a
PostgreSQL on this machine (loopback or a Unix socket)."""
import sys
import urllib.parse as up

parts = up.urlsplit(sys.argv[1])
if parts.scheme not in ("postgres", "postgresql"):
    sys.exit("TEST_DATABASE_URL is not a postgres:// URL")
if (parts.hostname or "") not in ("", "127.0.0.1", "localhost", "::1"):
    sys.exit("TEST_DATABASE_URL does not point at this machine")
print(up.urlunsplit(parts._replace(path="/" + sys.argv[2])))
