# The operator image: tern-operator on Debian bookworm, run as uid 10001.
# Build from the repository root:
#   docker build -f docker/operator.Dockerfile -t ghcr.io/tern-dev/tern-operator:0.1.0 .

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
 && ninja -C build tern-operator \
 && strip build/bin/tern-operator

FROM debian:bookworm-slim
# The shared libraries tern-operator loads: cpprestsdk (Kubernetes API), librdkafka (topic
# admin), yaml-cpp (kubeconfig, CRDs), prometheus-cpp, spdlog; CA certificates for API servers
# reached through a kubeconfig.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libstdc++6 libcpprest2.10 librdkafka1 libyaml-cpp0.7 \
      libprometheus-cpp-core1.0 libspdlog1.10 libfmt9 libssl3 zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tern \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin tern
COPY --from=build /src/build/bin/tern-operator /usr/local/bin/tern-operator
# Fail the build, not the first start, if a runtime library is missing.
RUN ! ldd /usr/local/bin/tern-operator | grep -F 'not found'

USER 10001:10001
# /healthz, /readyz and /metrics (--metrics-addr).
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/tern-operator"]
CMD ["--metrics-addr=0.0.0.0:8080"]
