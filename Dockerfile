# syntax=docker/dockerfile:1
#
# The Orrery image: both server binaries (`orrery-gateway`, `orrery-worker`) on Debian stable
# slim, running as an unprivileged user. The Helm chart (helm/orrery) runs the same image for
# both, choosing the binary with `command`.
#
#   docker build -t orrery:0.1.0 .
#
# The build stage mirrors the project's own build (`cargo build --bins`, here --release and
# --locked). The schema migrations are embedded at compile time (sqlx::migrate!), so the image
# needs no migrations directory.
#
# NOT BUILT HERE: the development machine this file was written on has no Docker engine, so
# this Dockerfile has not been built or run. Build it in CI or on a machine with Docker.

FROM rust:1 AS build
WORKDIR /src
# Manifests first, so dependency builds are cached while only sources change.
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY common common
COPY gateway gateway
COPY worker worker
COPY arena arena
COPY client client
COPY xtask xtask
COPY migrations migrations
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bins -p orrery-gateway -p orrery-worker \
    && mkdir -p /out \
    && cp target/release/orrery-gateway target/release/orrery-worker /out/

FROM debian:stable-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 orrery \
    && useradd --system --uid 10001 --gid orrery --no-create-home --shell /usr/sbin/nologin orrery
COPY --from=build /out/orrery-gateway /out/orrery-worker /usr/local/bin/
USER 10001:10001
# Gateway: API, WebSocket and ops endpoints. Worker: ops endpoints.
EXPOSE 8080 9300
CMD ["/usr/local/bin/orrery-gateway"]
