#!/usr/bin/env bash
# Builds the cachesrv binary (static, CGO_ENABLED=0) and the container image
# FROM scratch around it, in one command, from any directory:
#
#	deploy/build.sh [IMAGE]        # IMAGE defaults to $CACHESRV_IMAGE or cachesrv:dev
#
# Nothing is pulled: the image has no base. The build context holds only
# the binary and the Dockerfile. Set GOARCH to build for another
# architecture (and docker build --platform accordingly).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
image=${1:-${CACHESRV_IMAGE:-cachesrv:dev}}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

version=$(cd "$root" && git describe --tags --always --dirty 2>/dev/null || echo dev)
echo "== go build (CGO_ENABLED=0) -> $ctx/cachesrv"
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$ctx/cachesrv" ./cmd/cachesrv)
cp "$root/deploy/Dockerfile" "$ctx/Dockerfile"

echo "== docker build -> $image"
# The legacy builder warns that it is deprecated where buildx is missing;
# it builds FROM scratch images fine.
docker build --quiet --build-arg VERSION="$version" \
	--label org.opencontainers.image.revision="$(cd "$root" && git rev-parse HEAD 2>/dev/null || echo unknown)" \
	-t "$image" "$ctx" >/dev/null
docker image inspect -f '{{.Id}} {{.Size}} bytes' "$image"
