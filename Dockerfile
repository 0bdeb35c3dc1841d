# nftpolicy image: the per-node agent (nftpolicy run) and the command line.
# Build: docker build -t nftpolicy .
# Stage 1 builds the image's shaded jar with Maven (nftpolicy-agent.jar: everything but the network-namespace lab,
# so no sandbox command) and a Java runtime holding only the modules jdeps lists for that jar
# (deploy/image/jlink-runtime); stage 2 is Debian 12 with that runtime, libnftables1 (what the backend loads
# through jnr-ffi) and nftables (the nft binary, for operators debugging a node).
# Both bases are pinned by digest (multi-arch index digests); to move them, replace tag and digest together.
# bin/image-runtime-check runs the jdeps and jlink step and starts the jar on the result, without Docker.
FROM maven:3.9-eclipse-temurin-17@sha256:a8746f15d5bb26b5b8bacb056cc76211553850f4c71d16aff845cfa004cbc197 AS build
WORKDIR /src
COPY pom.xml .
COPY policy-compiler/pom.xml policy-compiler/
COPY nft-backend/pom.xml nft-backend/
COPY lab/pom.xml lab/
COPY operator/pom.xml operator/
RUN mvn -B -q -pl operator -am dependency:go-offline
COPY policy-compiler/src policy-compiler/src
COPY nft-backend/src nft-backend/src
COPY lab/src lab/src
COPY operator/src operator/src
RUN mvn -B -q -DskipTests -pl operator -am package
COPY deploy/image/jlink-runtime /usr/local/bin/
RUN jlink-runtime operator/target/nftpolicy-agent.jar /opt/java \
    && /opt/java/bin/java -jar operator/target/nftpolicy-agent.jar version

FROM debian:12-slim@sha256:60eac759739651111db372c07be67863818726f754804b8707c90979bda511df
RUN apt-get update \
    && apt-get install -y --no-install-recommends libnftables1 nftables iproute2 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/java /opt/java
COPY --from=build /src/operator/target/nftpolicy-agent.jar /opt/nftpolicy/nftpolicy.jar
# Runs as uid 0 but with every capability dropped except NET_ADMIN (the DaemonSet's securityContext): Kubernetes
# gives added capabilities to a non-root user only through ambient capabilities, which it does not set, so a
# non-root agent could not program nftables.
# JVM memory (docs/benchmarks.md, "The agent's memory"): the heap at most 40 % of the container's limit, because
# the rest of the process is not heap: at 10,000 pods the JVM's other parts take about 130 MB and libnftables'
# allocations 100-200 MB. The heap gives back what it does not use after a full collection (Min/MaxHeapFreeRatio),
# and glibc is asked every 5 s to return what libnftables freed (TrimNativeHeapInterval): without it the process
# kept about 130 MB of freed native memory. Keep these equal to AgentProcess.IMAGE_JVM_OPTIONS (DockerfileTest).
ENTRYPOINT ["/opt/java/bin/java", "-XX:+UseSerialGC", "-XX:MaxRAMPercentage=40", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "-XX:TrimNativeHeapInterval=5000", "-jar", "/opt/nftpolicy/nftpolicy.jar"]
CMD ["--help"]
