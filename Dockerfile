# syntax=docker/dockerfile:1
# The `migrate` binary as a container image.
#
#   docker build -t sluice .                     # slim: migrate alone (the default target)
#   docker build --target online -t sluice:online .   # plus pg_repack and pt-online-schema-change
#
# Both run as the non-root user `sluice` (uid 10001) in /app, with `migrate` as the entrypoint:
# mount the project there (sluice.toml, migrations/), or derive an image that copies it in
# (`FROM sluice` + `COPY sluice.toml migrations /app/`). See "Install" in README.md.
# tests/it/dockerfile.rs checks this file (no container engine is needed for that).

ARG RUST_VERSION=1.88
ARG DEBIAN_RELEASE=bookworm

# --- build: the release binary, with the lockfile -------------------------------------------
FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY crates crates
COPY bench bench
COPY benches benches
COPY lint-rules lint-rules
# debug info off the installed copy (165 MB -> 38 MB); symbols stay for backtraces
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release --bin migrate \
    && install -m 0755 target/release/migrate /usr/local/bin/migrate \
    && strip --strip-debug /usr/local/bin/migrate

# --- runtime: Debian slim, a non-root user, the binary ----------------------------------------
# (webhooks use rustls with built-in roots: no CA bundle needed; `migrate lint --base` needs git,
# which CI images have: lint runs there, not here)
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin sluice \
    && mkdir -p /app && chown sluice:sluice /app
COPY --from=build /usr/local/bin/migrate /usr/local/bin/migrate
WORKDIR /app
USER 10001:10001
ENTRYPOINT ["migrate"]
CMD ["--help"]

# --- online: the online strategies' tools (pg_repack for PostgreSQL 15, pt-online-schema-change
# for MySQL / MariaDB). pg_repack must match the server's extension version: Debian bookworm's
# postgresql-15-repack is 1.4.8; for another server version install its pg_repack instead.
FROM runtime AS online
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15-repack percona-toolkit \
    && rm -rf /var/lib/apt/lists/*
USER 10001:10001

# --- slim: the default target -----------------------------------------------------------------
FROM runtime AS slim
