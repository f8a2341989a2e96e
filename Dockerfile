# syntax=docker/dockerfile:1

# The Rollcall container image: the `rollcall` binary on Debian bookworm, run as an
# unprivileged user, with its SQLite database in a volume. BuildKit is needed for the cache
# mounts (the default builder since Docker 23):
#
#   docker build -t rollcall .
#   docker run -v rollcall-data:/var/lib/rollcall -p 8080:8080 rollcall
#
# See docs/operations.md, "Packaging: container, compose, systemd".

# --- Build --------------------------------------------------------------------------------
# The same minor release as rust-toolchain.toml (tests/packaging.rs checks that they agree).
FROM rust:1.95-bookworm AS builder

# rust-toolchain.toml pins 1.95.0 with rustfmt and clippy for development. Build with the
# image's own 1.95 toolchain (its RUST_VERSION) instead of having rustup download the pinned
# one and its components on every uncached build; building needs neither component.
ENV RUSTUP_TOOLCHAIN=${RUST_VERSION} \
    CARGO_TERM_COLOR=never

WORKDIR /src
# The whole workspace (.dockerignore leaves out target/, data/, .git and the like): cargo
# needs every member's manifest, and .cargo/config.toml carries the bundled SQLite's build
# flags.
COPY . .

# The registry and the target directory live in BuildKit cache mounts, so a rebuild after a
# source change recompiles only Rollcall's own crates. The target directory is not part of
# the image, so the binary is copied out of it within the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release -p rollcall-server --locked \
    && install -D -m 0755 target/release/rollcall /out/rollcall

# --- Runtime ------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

# SQLite is compiled into the binary and the PostgreSQL driver is pure Rust (no libpq), so
# the only package is ca-certificates (for a TLS database connection, should one be used).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 rollcall \
    && useradd --system --uid 10001 --gid rollcall --no-create-home \
        --home-dir /var/lib/rollcall --shell /usr/sbin/nologin rollcall \
    && install -d -m 0700 -o rollcall -g rollcall /var/lib/rollcall

COPY --from=builder /out/rollcall /usr/local/bin/rollcall

# Absolute SQLite paths are written with three slashes (crates/storage-diesel/src/database_url.rs).
# Set ROLLCALL_DATABASE_URL=postgres://… to use PostgreSQL instead; the volume then stays empty.
ENV ROLLCALL_BIND=0.0.0.0:8080 \
    ROLLCALL_DATABASE_URL=sqlite:///var/lib/rollcall/rollcall.db \
    ROLLCALL_LOG_FORMAT=json

WORKDIR /var/lib/rollcall
# A new named volume takes the directory's owner (10001) and mode from the image; a host
# directory mounted here must be writable by uid 10001.
VOLUME ["/var/lib/rollcall"]

# Numeric, so that an orchestrator can check "not root" without reading /etc/passwd.
USER 10001:10001

EXPOSE 8080

# Rollcall drains in-flight requests on SIGTERM for up to shutdown_timeout (30 s by default):
# give `docker stop` a --time (compose: stop_grace_period) above that.
STOPSIGNAL SIGTERM

# `rollcall healthcheck` GETs /readyz at the address ROLLCALL_BIND names (0.0.0.0 is probed
# on 127.0.0.1) and exits 0 on 200, so the image needs no curl. Its own timeout is 5 s, under
# the check's 10 s, so that a slow answer is reported in its words rather than killed.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --start-interval=2s --retries=3 \
    CMD ["rollcall", "healthcheck"]

ENTRYPOINT ["rollcall"]
CMD ["serve"]
