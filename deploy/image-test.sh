#!/usr/bin/env bash
# Proves the container image's final stage (`make image-test`): builds it
# FROM scratch with buildah around `make rootfs` — the Dockerfile's own
# final stage, with its `COPY --from=build /x` read from a local rootfs —
# then runs it with podman on a named volume, with compose.yaml's read-only
# root, no capabilities and no-new-privileges, and checks that /readyz
# answers from outside, that the image's HEALTHCHECK passes, that the
# process runs as 65532 and owns its database, that the CLI works beside
# the server, that a time zone resolves without a host database, and that
# SIGTERM stops it with exit 0. The Dockerfile's build stage needs the
# golang image from a registry, which this test does not use.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in buildah podman "${IMAGE_TEST_RUNTIME:-runc}" curl make; do
	command -v "$tool" >/dev/null || { echo "image-test: $tool is not installed (Debian: apt-get install buildah podman runc curl)" >&2; exit 1; }
done

name="beacon-image-test-$$"
image="localhost/$name"
port="${IMAGE_TEST_PORT:-18080}"
work="$(mktemp -d)"
cleanup() {
	podman rm -f "$name" >/dev/null 2>&1 || true
	podman volume rm -f "$name" >/dev/null 2>&1 || true
	buildah rmi -f "$image" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "image-test: FAIL: $*" >&2; podman logs "$name" 2>&1 | tail -20 >&2 || true; exit 1; }

echo "== make rootfs"
make -s rootfs ROOTFS="$work/rootfs"
mkdir "$work/data-empty"

# The Dockerfile's last stage, its COPY --from=build sources taken from the
# build context instead (/rootfs/ → rootfs/, /data-empty/ → data-empty/).
awk '/^FROM /{stage=""} {stage = stage $0 "\n"} END {printf "%s", stage}' Dockerfile |
	sed -E 's#^COPY --from=build (--[^ ]+ )*/([^ ]+)#COPY \1\2#' >"$work/Containerfile"
grep -q '^FROM scratch' "$work/Containerfile" || fail "the Dockerfile's last stage is not FROM scratch"
! grep -q -- '--from=' "$work/Containerfile" || fail "a COPY --from is left in $work/Containerfile"
echo "== the final stage, as built"
cat "$work/Containerfile"

echo "== buildah bud"
# Docker's image format keeps HEALTHCHECK; OCI's has no field for it.
buildah bud -q --format docker -f "$work/Containerfile" -t "$image" "$work"
[ "$(buildah inspect --format '{{.Docker.Config.User}}' "$image")" = 65532:65532 ] || fail "the image does not run as 65532:65532"

echo "== podman run"
# Podman asks for more open files and processes than a sandboxed shell
# may grant (crun: "setrlimit: Operation not permitted"): ask for less.
# runc, not crun, since crun refuses a host whose cgroups mix v1 and v2.
# Without systemd, podman logs that it cannot set up its health check
# timer; `podman healthcheck run` below runs the image's check without one.
podman run -d --name "$name" -p "127.0.0.1:$port:8080" -v "$name:/data" \
	--ulimit nofile=4096:4096 --ulimit nproc=4096:4096 --runtime "${IMAGE_TEST_RUNTIME:-runc}" --health-interval disable \
	--read-only --cap-drop ALL --security-opt no-new-privileges \
	-e BEACON_TIME_ZONE=Europe/Paris "$image" >/dev/null
for i in $(seq 1 100); do
	if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
	[ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || fail "the container exited"
	[ "$i" = 100 ] && fail "/readyz did not answer 200 within 20s"
	sleep 0.2
done
echo "GET /readyz: $(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")"

echo "== podman healthcheck run (the image's HEALTHCHECK)"
podman healthcheck run "$name" || fail "the HEALTHCHECK failed"
echo healthy

echo "== user and database"
uid="$(podman top "$name" huser | tail -n 1 | tr -d ' ')"
[ "$uid" = 65532 ] || fail "beacon runs as $uid, want 65532"
podman exec "$name" /beacon apikey create --name image-test | grep -q . || fail "beacon apikey create in the container printed nothing"
ls -ln "$(podman volume inspect --format '{{.Mountpoint}}' "$name")" | tee "$work/ls"
grep -q ' 65532 65532 .* beacon.db$' "$work/ls" || fail "beacon.db is not owned by 65532 in the volume"

echo "== SIGTERM"
podman stop -t 30 "$name" >/dev/null
code="$(podman inspect --format '{{.State.ExitCode}}' "$name")"
[ "$code" = 0 ] || fail "beacon exited $code after SIGTERM, want 0"
echo "stopped, exit 0"
echo "image-test: PASS"
