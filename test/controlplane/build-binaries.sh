#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from the Go module proxy into a cache outside git; with
# --node also a node's kubelet, kube-proxy, kube-controller-manager and kube-scheduler.
# Kubernetes' staging modules are `replace`d to ./staging in its go.mod, which only works inside
# its own repository; here each is replaced by its published v0.X.Y release instead.
set -euo pipefail

K8S_VERSION="${ARIA_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ARIA_ETCD_VERSION:-v3.6.16}"
CACHE="${ARIA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aria}"
BIN="$CACHE/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"

if ! command -v go >/dev/null 2>&1; then
  echo "aria: Go is not installed. Install Go 1.26 or newer (https://go.dev/doc/install) and run again." >&2
  exit 1
fi

NODE_CMDS=()
[[ "${1:-}" == "--node" ]] && NODE_CMDS=(kubelet kube-proxy kube-controller-manager kube-scheduler)

missing=0
for exe in kube-apiserver etcd kubectl "${NODE_CMDS[@]}"; do [[ -x "$BIN/$exe" ]] || missing=1; done
if ((missing == 0)); then
  echo "$BIN"
  exit 0
fi

steps=$((4 + ${#NODE_CMDS[@]}))
step() { echo "aria: [$1/$steps] $2 ($(date +%T))" >&2; }
mkdir -p "$BIN"
work="$(mktemp -d "$CACHE/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
staging_minor="v0.${K8S_VERSION#v1.}"

step 1 "resolving Kubernetes $K8S_VERSION and etcd $ETCD_VERSION from the Go module proxy"
gomod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
{
  echo "module aria.dev/controlplane-build"
  echo
  grep -E '^go [0-9]' "$gomod"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo "replace ("
  sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 '"$staging_minor"'#p' "$gomod"
  echo ")"
} > "$work/go.mod"
cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
(cd "$work" && GOFLAGS=-mod=mod go mod tidy -e >&2 2>"$work/tidy.log" || { cat "$work/tidy.log" >&2; exit 1; })

# Built to a temporary name and renamed, so an interrupted build never leaves a half-written binary.
build_k8s() {
  [[ -x "$BIN/$1" ]] && return
  (cd "$work" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION" \
    -o "$BIN/$1.tmp" "k8s.io/kubernetes/cmd/$1")
  mv "$BIN/$1.tmp" "$BIN/$1"
}

step 2 "building kube-apiserver (the first build takes several minutes)"
build_k8s kube-apiserver

step 3 "building kubectl"
build_k8s kubectl

step 4 "building etcd $ETCD_VERSION"
if [[ ! -x "$BIN/etcd" ]]; then
  mkdir -p "$work/etcd"
  cat > "$work/etcd/go.mod" <<GO
module aria.dev/etcd-build

go 1.24
GO
  (cd "$work/etcd" && GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2 \
    && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$BIN/etcd.tmp" "$BIN/etcd"
fi

n=4
for exe in "${NODE_CMDS[@]}"; do
  n=$((n + 1))
  step "$n" "building $exe"
  build_k8s "$exe"
done

echo "aria: control-plane binaries ready in $BIN" >&2
echo "$BIN"
