# syntax=docker/dockerfile:1
#
# The nilus image: the `nilus` CLI on Debian 12. By default it runs the Manager
# (`nilus manager`, docs/manager.md); `nilus run PIPELINE.yaml` runs a pipeline.
#
#   docker build -t nilus .
#   docker run --rm -p 8080:8080 \
#     -e NILUS_MANAGER_DATABASE=postgresql://nilus_manager:secret@db:5432/nilus \
#     -e NILUS_MANAGER_AUTH_WRITE_TOKEN=... -e NILUS_MANAGER_AUTH_READ_TOKEN=... nilus
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" -w /work nilus run pipeline.yaml
#
# Kubernetes manifests that use this image: deploy/ (see deploy/README.md).

# --- build ---------------------------------------------------------------------------------
FROM debian:bookworm-slim AS build

# The toolchain and the -dev libraries of scripts/setup's DEB_PACKAGES that the build of `nilus`
# links (no clang, test frameworks, databases or node: tests and benchmarks are not built).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libzstd-dev libsnappy-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev \
      libsimdjson-dev libpq-dev libsqlite3-dev libavro-dev libyaml-cpp-dev libcpp-httplib-dev \
      libssl-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Only what the build reads: the CMake files and the sources (tests/ and bench/ are switched off).
COPY CMakeLists.txt CMakePresets.json ./
COPY cmake/ cmake/
COPY src/ src/

# The flags of the `release` preset (CMakePresets.json), without tests and benchmarks.
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DNILUS_BUILD_TESTS=OFF -DNILUS_BUILD_BENCH=OFF \
 && cmake --build build --target nilus \
 && strip build/src/cli/nilus \
 && build/src/cli/nilus --help >/dev/null

# --- runtime -------------------------------------------------------------------------------
FROM debian:bookworm-slim

# The shared libraries `nilus` is linked against (readelf -d: NEEDED), by their bookworm package
# names; apt pulls their own dependencies (OpenSSL, brotli, jansson, Kerberos for libpq, ...).
# libssl3 is named because the Manager serves HTTPS through cpp-httplib when tls: is set.
# ca-certificates: to verify TLS peers (PostgreSQL with sslmode=verify-full, an https:// Manager).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      libpq5 libsqlite3-0 libavro23 libzstd1 libsnappy1v5 libyaml-cpp0.7 libcpp-httplib0.11 \
      libssl3 zlib1g libfmt9 libspdlog1.10 libsimdjson14 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 nilus \
 && useradd --system --uid 10001 --gid nilus --home-dir /var/lib/nilus --create-home \
      --shell /usr/sbin/nologin nilus

COPY --from=build /src/build/src/cli/nilus /usr/local/bin/nilus

# The working directory holds relative paths of the configuration (the Manager's archive
# warehouse defaults to ./lakehouse; a pipeline's ./warehouse). Mount a volume here to keep them.
WORKDIR /var/lib/nilus
# Numeric ids, so that Kubernetes' runAsNonRoot can check them.
USER 10001:10001

# Listen on every interface inside the container (the Manager's default is 127.0.0.1:8080).
# The environment wins over the file's `listen:`; set NILUS_MANAGER_LISTEN to change it.
ENV NILUS_MANAGER_LISTEN=0.0.0.0:8080
EXPOSE 8080

# No HEALTHCHECK: the slim image has no HTTP client. Probe GET /healthz (liveness) and
# GET /readyz (readiness) from outside, as deploy/manager-deployment.yaml does.
ENTRYPOINT ["nilus"]
CMD ["manager"]
