# Beacon's container image: one static binary FROM scratch, run as a
# non-root user, its SQLite database on the /data volume.
#
#   docker build -t beacon .
#   docker run -d -p 8080:8080 -v beacon-data:/data \
#     -e BEACON_BASE_URL=https://status.example.com beacon
#
# deploy/README.md says what else to set, and what of this file the tests
# prove (`make image-test` builds and runs the final stage).

ARG GO_VERSION=1.26

# Build: cgo for SQLite, linked statically (`make static`), the image's
# files laid out in /rootfs (`make rootfs`).
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make rootfs ROOTFS=/rootfs && mkdir /data-empty

# Run: nothing but the binaries, the CA certificates and an empty /data
# owned by the user Beacon runs as, so that a new named volume takes that
# owner.
FROM scratch
COPY --from=build /rootfs/ /
COPY --from=build --chown=65532:65532 /data-empty/ /data/
# 65532 is "nonroot" in distroless images; a scratch image has no
# /etc/passwd, and Beacon needs no user name.
USER 65532:65532
ENV BEACON_ADDR=:8080 \
    BEACON_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
# /readyz answers 200 once the database answers. beacon-healthcheck reads
# BEACON_ADDR, so a changed port needs no change here.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/beacon-healthcheck"]
# SIGTERM drains requests in flight for up to BEACON_SHUTDOWN_TIMEOUT (15s);
# give `docker stop` longer than that (`--stop-timeout`, compose's
# stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/beacon"]
CMD ["serve"]
