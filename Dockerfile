# nftpolicy image: the command line and, with issue 4, the per-node agent.
# Build: docker build -t nftpolicy .
# Stage 1 builds the image's shaded jar with Maven (nftpolicy-agent.jar: everything but the network-namespace lab,
# so no sandbox command); stage 2 is a Debian 12 Java 17 runtime with libnftables1 (what the
# backend loads through jnr-ffi) and nftables (the nft binary, for operators debugging a node).
FROM maven:3.9-eclipse-temurin-17 AS build
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

FROM debian:12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless libnftables1 nftables iproute2 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/operator/target/nftpolicy-agent.jar /opt/nftpolicy/nftpolicy.jar
# Runs as uid 0 but with every capability dropped except NET_ADMIN (the DaemonSet's securityContext): Kubernetes
# gives added capabilities to a non-root user only through ambient capabilities, which it does not set, so a
# non-root agent could not program nftables.
ENTRYPOINT ["java", "-XX:+UseSerialGC", "-XX:MaxRAMPercentage=75", "-jar", "/opt/nftpolicy/nftpolicy.jar"]
CMD ["--help"]
