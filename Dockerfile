# dicom-j2k as a container image: the worker for AWS Lambda (container image) or ECS/Fargate.
#
#   docker build -t dicom-j2k .
#   docker build -t dicom-j2k --build-arg WITH_GDCM=true .    # also gdcmconv (comparison backend)
#
# Without Docker, scripts/check-container.sh proves the runtime stage complete: it installs the
# runtime stage's packages (read from this file) into a debootstrapped Debian root and runs a
# sample job there as the non-root user.

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# Build stage: the official Swift image (Debian 12, as the runtime), a release build with the Swift
# runtime linked in statically, so the runtime stage needs no Swift toolchain libraries.
FROM ${SWIFT_IMAGE} AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends pkg-config libopenjp2-7-dev zlib1g-dev libopenjph-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so source edits do not fetch them again.
COPY Package.* ./
RUN swift package resolve
COPY . .
RUN swift build -c release --static-swift-stdlib --product dicom-j2k \
    && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/dicom-j2k" /out/dicom-j2k

# Runtime stage: Debian slim with the shared libraries `ldd dicom-j2k` lists, and CA certificates
# for TLS to AWS. Versions are not pinned (DL3008): the image must take bookworm's security updates,
# and pinned versions disappear from the archive when those arrive.
FROM ${RUNTIME_IMAGE} AS runtime
# gdcmconv, for the comparison backend (`compressionLibrary: gdcmconv`, `bench`); off by default (about 60 MB).
ARG WITH_GDCM=false
# The package list below is read by scripts/check-container.sh: keep one apt-get install of the
# runtime packages, one package per line. libopenjph0.9 is the HTJ2K library (OpenJPH).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates \
        libgcc-s1 \
        libopenjp2-7 \
        libopenjph0.9 \
        libstdc++6 \
        zlib1g \
    && if [ "$WITH_GDCM" = "true" ]; then apt-get install -y --no-install-recommends libgdcm-tools; fi \
    && rm -rf /var/lib/apt/lists/*
# A user without a shell or home (uid 10001, outside any range the base image uses); the worker
# writes only to /tmp (Lambda's writable path). --no-log-init: no sparse lastlog entry for a high uid.
RUN useradd --uid 10001 --user-group --no-log-init --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin dicom-j2k
COPY --from=build /out/dicom-j2k /usr/local/bin/dicom-j2k
USER 10001:10001
WORKDIR /tmp
# Exec form: the worker is PID 1 and gets SIGTERM itself; it installs its own handlers (a PID 1
# without handlers would ignore SIGTERM) and reaps the children it spawns (gdcmconv), so no init
# such as tini is needed. No CMD: without arguments the worker serves Lambda's Runtime API when
# AWS_LAMBDA_RUNTIME_API is set and polls SQS otherwise.
ENTRYPOINT ["/usr/local/bin/dicom-j2k"]
