# The broker image: tern-broker and the tern command line on Debian bookworm, run as uid 10001.
# Build from the repository root:
#   docker build -f docker/broker.Dockerfile -t ghcr.io/tern-dev/tern:0.1.0 .
#   docker run --rm -p 9092:9092 -p 9644:9644 ghcr.io/tern-dev/tern:0.1.0

FROM debian:bookworm AS build
# The build dependencies of scripts/install-deps.sh, without its test tools (etcd, Prometheus,
# Kafka clients) and without GoogleTest, since the tests are not built here.
# tests/k8s_artifacts checks that every package named here is also in that script.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libboost-dev libboost-system-dev libcpprest-dev prometheus-cpp-dev libyaml-cpp-dev \
      nlohmann-json3-dev librdkafka-dev libspdlog-dev libfmt-dev libcli11-dev \
      zlib1g-dev liblz4-dev libzstd-dev libsnappy-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -G Ninja -DTERN_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
 && ninja -C build tern-broker tern \
 && strip build/bin/tern-broker build/bin/tern

FROM debian:bookworm-slim
# Only the shared libraries the two binaries load (their own dependencies come with them).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libstdc++6 libcpprest2.10 libprometheus-cpp-core1.0 libyaml-cpp0.7 libspdlog1.10 libfmt9 \
      librdkafka1 libssl3 zlib1g liblz4-1 libzstd1 libsnappy1v5 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tern \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/tern --no-create-home \
      --shell /usr/sbin/nologin tern \
 && mkdir -p /var/lib/tern /etc/tern \
 && chown 10001:10001 /var/lib/tern
COPY --from=build /src/build/bin/tern-broker /src/build/bin/tern /usr/local/bin/
COPY docker/broker.yaml /etc/tern/broker.yaml
# Fail the build, not the first start, if a runtime library is missing.
RUN ! ldd /usr/local/bin/tern-broker /usr/local/bin/tern | grep -F 'not found'

USER 10001:10001
WORKDIR /var/lib/tern
# Kafka protocol; HTTP /healthz, /readyz, /metrics and the admin API.
EXPOSE 9092 9644
ENTRYPOINT ["/usr/local/bin/tern-broker"]
CMD ["--config", "/etc/tern/broker.yaml"]
