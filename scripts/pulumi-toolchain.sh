#!/usr/bin/env bash
# Puts a pinned Pulumi toolchain into <repo>/.tools/bin, built from Go modules
# (no binary downloads), and writes <repo>/.tools/env.sh to source.
#
#   bash scripts/pulumi-toolchain.sh [--force] [--update] [--no-path] [--fetch] [COMPONENT...]
#
# COMPONENT is any of: pulumi pulumi-resource-pulumi-nodejs versitygw
# (default: the first two). That is all the engine needs here: the operator
# command runs the program in-process (Automation API inline mode, no language
# host) and the package's host provider is a dynamic provider, which the engine
# starts through pulumi-resource-pulumi-nodejs. versitygw is the sandbox host's
# S3 server (scripts/sandbox/s3.sh), pinned by its own wrapper under
# tools/versitygw and built with the CLI's flags, so it reuses the standard
# library the CLI's build compiled.
#
# The CLI: a `pulumi` on PATH that reports exactly the pinned version is used
# as it is (linked into .tools/bin; --no-path to never do that). Otherwise it
# is built from its wrapper module under tools/pulumi (go.mod + go.sum pin
# every dependency) with the default Go module and build caches: the modules
# are fetched first, many at a time, then compiled and linked; skipped when
# the binary exists and its stamp in .tools/stamps records the same pin,
# flags and go.mod/go.sum hash.
#
#   --force    rebuild even when the stamp matches
#   --update   regenerate the wrappers' go.sum with `go mod tidy` (network; done
#              anyway for a wrapper without go.sum); otherwise builds run with
#              -mod=readonly and fail on a missing go.sum entry
#   --no-path  never reuse binaries found on PATH
#   --fetch    only download the modules of the Go tools named that are not up
#              to date, all of them at once, and build nothing (setup runs this
#              first, so the builds after it only compile)
#
# Timings of every step go to stderr. Exit status is non-zero when any requested
# component could not be provided; the others are still installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TOOLS_DIR="$ROOT/.tools"
BIN_DIR="$TOOLS_DIR/bin"
STAMP_DIR="$TOOLS_DIR/stamps"
PULUMI_HOME_DIR="$TOOLS_DIR/pulumi-home"

PULUMI_VERSION="v3.248.0"
GO_MIN_VERSION="1.25.11" # the wrappers' `go` directive
# The CLI's build flags. The version is linked in (-X): the Automation API
# refuses a CLI that reports none. -s -w: no symbol table and no DWARF in the
# binary (links in 7.5 s instead of 11-14 s; 112 MB instead of 156 MB; panics
# still print stack traces, from pclntab). -dwarf=false: the compiler does not
# produce the DWARF that -w drops (about 10% less compile CPU).
PULUMI_LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
GO_GCFLAGS="all=-dwarf=false" # every Go tool's, so the later builds reuse the earlier ones' packages
# Modules fetched at once. go fetches GOMAXPROCS modules at a time, 2 on a
# 2-core machine; the 249 modules of the CLI took 39 s that way, 18 s with 16.
GO_FETCH_JOBS=16

ALL_COMPONENTS=(pulumi pulumi-resource-pulumi-nodejs versitygw)
DEFAULT_COMPONENTS=(pulumi pulumi-resource-pulumi-nodejs)
# The Go tools: wrapper module (tools/<name>), main package, module whose
# version is the pin, and link flags. They are built in the order asked for.
declare -A GO_PACKAGE=(
  [pulumi]=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  [versitygw]=github.com/versity/versitygw/cmd/versitygw
)
declare -A GO_MODULE=([pulumi]=github.com/pulumi/pulumi/pkg/v3 [versitygw]=github.com/versity/versitygw)
declare -A GO_LDFLAGS=([pulumi]="$PULUMI_LDFLAGS" [versitygw]="-s -w")

log() { printf '[pulumi-toolchain] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
now_ms() { date +%s%3N; }
elapsed() { # elapsed START_MS -> "12.345s"
  local ms=$(($(now_ms) - $1))
  printf '%d.%03ds' $((ms / 1000)) $((ms % 1000))
}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

FORCE=0
UPDATE=0
USE_PATH=1
FETCH_ONLY=0
COMPONENTS=()
while (($#)); do
  case "$1" in
  --force) FORCE=1 ;;
  --update) UPDATE=1 ;;
  --no-path) USE_PATH=0 ;;
  --fetch) FETCH_ONLY=1 ;;
  -h | --help)
    usage
    exit 0
    ;;
  -*) die "unknown option '$1' (see --help)" ;;
  *)
    case " ${ALL_COMPONENTS[*]} " in
    *" $1 "*) COMPONENTS+=("$1") ;;
    *) die "unknown component '$1'; expected one of: ${ALL_COMPONENTS[*]}" ;;
    esac
    ;;
  esac
  shift
done
((${#COMPONENTS[@]})) || COMPONENTS=("${DEFAULT_COMPONENTS[@]}")

wanted() { case " ${COMPONENTS[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac }

# --- prerequisites -----------------------------------------------------------
command -v go >/dev/null 2>&1 || die "go not found on PATH (need Go >= $GO_MIN_VERSION)"
GO_VERSION="$(go env GOVERSION)"
ver_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }
ver_ge "${GO_VERSION#go}" "$GO_MIN_VERSION" ||
  die "$GO_VERSION is too old: the wrappers under tools/ need Go >= $GO_MIN_VERSION"
# Never let a `toolchain`/`go` line trigger a toolchain download.
export GOTOOLCHAIN=local
command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found (coreutils)"

mkdir -p "$BIN_DIR" "$STAMP_DIR" "$PULUMI_HOME_DIR"

# One run at a time per checkout.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$TOOLS_DIR/.lock"
  flock 9 || die "could not lock $TOOLS_DIR/.lock"
fi

T_TOTAL=$(now_ms)
FAILED=()

# --- reuse binaries already on PATH -----------------------------------------
# Looks a command up on PATH without .tools/bin.
which_outside() {
  local dir IFS=:
  for dir in $PATH; do
    [[ -n "$dir" && "$(cd "$dir" 2>/dev/null && pwd -P)" != "$BIN_DIR" ]] || continue
    if [[ -x "$dir/$1" && ! -d "$dir/$1" ]]; then
      printf '%s\n' "$dir/$1"
      return 0
    fi
  done
  return 1
}

link_from_path() {
  local p
  p="$(which_outside pulumi)" || return 1
  [[ "$("$p" version 2>/dev/null)" == "$PULUMI_VERSION" ]] || return 1
  ln -sfn "$p" "$BIN_DIR/pulumi"
  printf 'path:%s\n' "$p" >"$STAMP_DIR/pulumi.stamp"
  log "using the pulumi CLI from PATH: $p ($PULUMI_VERSION)"
}

LINKED=0
if ((USE_PATH && !FORCE)) && wanted pulumi; then
  t=$(now_ms)
  if link_from_path; then LINKED=1; fi
  log "PATH check: $(elapsed "$t")"
fi

# --- Go builds -----------------------------------------------------------------
# go_tool_pin NAME: the version its wrapper's go.mod requires of its module.
go_tool_pin() {
  awk -v m="${GO_MODULE[$1]}" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$ROOT/tools/$1/go.mod"
}

# go_tool_prepare NAME: resolves the wrapper's go.sum when asked (--update) or
# never done, then sets GO_PIN and GO_WANT, the stamp a build of it records
# (pin, flags, wrapper hash, Go version).
go_tool_prepare() {
  local name="$1" dir="$ROOT/tools/$1" t
  t=$(now_ms)
  [[ -f "$dir/go.mod" ]] || {
    log "$name: missing $dir/go.mod"
    return 1
  }
  if ((UPDATE)) || [[ ! -f "$dir/go.sum" ]]; then
    # pkg/v3@v3.248.0 is not in the public checksum database (lookups answer 404),
    # so github.com/pulumi modules are hashed on first download; go.sum then
    # pins them and normal builds never consult the checksum database.
    log "$name: go mod tidy in ${dir#"$ROOT"/}"
    if ! (cd "$dir" && GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi" GOFLAGS=-mod=mod go mod tidy); then
      log "$name: go mod tidy failed: the Go module proxy did not serve a pinned module version (see go's message above)"
      return 1
    fi
    log "$name: tidy $(elapsed "$t")"
  fi
  if [[ ! -f "$dir/go.sum" ]]; then
    log "$name: ${dir#"$ROOT"/}/go.sum is missing: the pinned module version has never been resolved."
    log "$name: resolve it with: bash scripts/pulumi-toolchain.sh --update $name"
    return 1
  fi
  GO_PIN=$(go_tool_pin "$name")
  GO_WANT="pin=$GO_PIN
ldflags=${GO_LDFLAGS[$name]}
gcflags=$GO_GCFLAGS
wrapper=$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -d' ' -f1)
go=$GO_VERSION"
}

# go_tool_current NAME: its binary is there and its stamp is GO_WANT (and no --force).
go_tool_current() {
  local out="$BIN_DIR/$1" stamp="$STAMP_DIR/$1.stamp"
  ((!FORCE)) && [[ -x "$out" && ! -L "$out" && -f "$stamp" && "$(cat "$stamp")" == "$GO_WANT" ]]
}

# fetch_modules NAME: downloads (and checks against go.sum) every module its
# package's build needs, GO_FETCH_JOBS at a time; quick when they are in the
# module cache already.
fetch_modules() {
  local name="$1" t
  t=$(now_ms)
  if ! (cd "$ROOT/tools/$name" && GOMAXPROCS=$GO_FETCH_JOBS go list -mod=readonly -deps "${GO_PACKAGE[$name]}" >/dev/null); then
    log "$name: fetching its modules failed after $(elapsed "$t") (see go's message above)"
    return 1
  fi
  log "$name: modules ready in $(elapsed "$t")"
}

# build_go_tool NAME: fetches its modules and builds it into .tools/bin, unless it is up to date.
build_go_tool() {
  local name="$1" out="$BIN_DIR/$1" t
  go_tool_prepare "$name" || return 1
  if go_tool_current "$name"; then
    log "$name: up to date ($GO_PIN)"
    return 0
  fi
  rm -f "$STAMP_DIR/$name.stamp"
  fetch_modules "$name" || return 1
  log "$name: building ${GO_PACKAGE[$name]} ($GO_PIN)"
  t=$(now_ms)
  if ! (cd "$ROOT/tools/$name" && go build -mod=readonly -trimpath -buildvcs=false \
    -gcflags="$GO_GCFLAGS" -ldflags "${GO_LDFLAGS[$name]}" -o "$out.tmp.$$" "${GO_PACKAGE[$name]}"); then
    rm -f "$out.tmp.$$"
    log "$name: go build failed after $(elapsed "$t")"
    return 1
  fi
  mv -f "$out.tmp.$$" "$out"
  printf '%s\n' "$GO_WANT" >"$STAMP_DIR/$name.stamp"
  log "$name: compiled and linked in $(elapsed "$t")"
}

# The Go tools asked for, in that order, but for a CLI taken from PATH.
GO_TOOLS=()
for name in "${COMPONENTS[@]}"; do
  if [[ -v GO_PACKAGE[$name] ]] && ! [[ $name == pulumi && $LINKED == 1 ]]; then GO_TOOLS+=("$name"); fi
done

if ((FETCH_ONLY)); then
  # Every tool's modules at once: the downloads wait on the network, not on the CPUs.
  declare -A FETCHING=()
  for name in "${GO_TOOLS[@]}"; do
    if ! go_tool_prepare "$name"; then
      FAILED+=("$name")
    elif ! go_tool_current "$name"; then
      fetch_modules "$name" &
      FETCHING[$name]=$!
    fi
  done
  for name in "${!FETCHING[@]}"; do wait "${FETCHING[$name]}" || FAILED+=("$name"); done
  log "fetch: $(elapsed "$T_TOTAL")"
  if ((${#FAILED[@]})); then
    log "FAILED: ${FAILED[*]} (see messages above)"
    exit 1
  fi
  exit 0
fi

for name in "${GO_TOOLS[@]}"; do
  if ! build_go_tool "$name"; then
    FAILED+=("$name")
  elif [[ $name == pulumi ]]; then
    got="$("$BIN_DIR/pulumi" version 2>/dev/null || true)"
    if [[ "$got" != "$PULUMI_VERSION" ]]; then
      log "pulumi: '$BIN_DIR/pulumi version' printed '$got', expected $PULUMI_VERSION"
      rm -f "$STAMP_DIR/pulumi.stamp"
      FAILED+=(pulumi)
    fi
  fi
done

# --- dynamic provider host script -------------------------------------------------
# pulumi-resource-pulumi-nodejs ships in the Node SDK (and in the Go sdk module's
# nodejs/dist); prefer the project's installed @pulumi/pulumi of the same version.
install_dynamic_provider() {
  local name=pulumi-resource-pulumi-nodejs t src="" npm_dir="$ROOT/node_modules/@pulumi/pulumi" dir
  t=$(now_ms)
  if [[ -f "$npm_dir/$name" && -f "$npm_dir/package.json" ]] &&
    grep -q "\"version\": *\"${PULUMI_VERSION#v}\"" "$npm_dir/package.json"; then
    src="$npm_dir/$name"
  else
    dir="$(cd "$ROOT/tools/pulumi" && GOFLAGS=-mod=readonly go mod download -json "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')" || true
    [[ -n "$dir" && -f "$dir/nodejs/dist/$name" ]] && src="$dir/nodejs/dist/$name"
  fi
  if [[ -z "$src" ]]; then
    log "$name: not found in node_modules/@pulumi/pulumi (${PULUMI_VERSION#v}) nor in the Go module cache"
    return 1
  fi
  # The SDK's launcher starts node twice on every provider start (once to resolve its
  # entry from the working directory, once to run it). With the project's own SDK the
  # entry is known now: resolve it once here, exec node directly (signals reach it),
  # and keep the SDK's lookup only for a clone that has moved since.
  local entry="$npm_dir/cmd/dynamic-provider/index.js" gen="$TOOLS_DIR/$name.generated"
  if [[ "$src" == "$npm_dir/$name" && -f "$entry" ]]; then
    mkdir -p "$TOOLS_DIR"
    # shellcheck disable=SC2016 # the launcher's own $entry and $@, written literally
    {
      printf '#!/bin/sh
'
      printf '# Written by scripts/pulumi-toolchain.sh from the SDK'"'"'s %s.
' "$name"
      printf 'entry=%q
' "$entry"
      printf '[ -f "$entry" ] || entry=$(node -e "console.log(require.resolve('"'"'@pulumi/pulumi/cmd/dynamic-provider'"'"'))") || exit 1
'
      printf 'exec node "$entry" "$@"
'
    } >"$gen"
    src="$gen"
  fi
  if [[ -f "$BIN_DIR/$name" ]] && cmp -s "$src" "$BIN_DIR/$name" && [[ -x "$BIN_DIR/$name" ]]; then
    log "$name: up to date, $(elapsed "$t")"
  else
    install -m 0755 "$src" "$BIN_DIR/$name.tmp.$$"
    mv -f "$BIN_DIR/$name.tmp.$$" "$BIN_DIR/$name"
    log "$name: installed from ${src#"$ROOT"/}, $(elapsed "$t")"
  fi
  command -v node >/dev/null 2>&1 || log "$name: warning: node is not on PATH; dynamic providers need it"
}
if wanted pulumi-resource-pulumi-nodejs; then
  install_dynamic_provider || FAILED+=(pulumi-resource-pulumi-nodejs)
fi

# --- env.sh --------------------------------------------------------------------------
ENV_FILE="$TOOLS_DIR/env.sh"
{
  printf '# Generated by scripts/pulumi-toolchain.sh. Source it: . .tools/env.sh\n'
  printf '# Backend and passphrase (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE) are left to callers.\n'
  printf '_pulumi_tools_bin=%q\n' "$BIN_DIR"
  # shellcheck disable=SC2016 # written literally, expanded when sourced
  printf 'case ":${PATH}:" in *":${_pulumi_tools_bin}:"*) ;; *) export PATH="${_pulumi_tools_bin}:${PATH}" ;; esac\n'
  printf 'unset _pulumi_tools_bin\n'
  printf 'export PULUMI_SKIP_UPDATE_CHECK=true\n'
  printf 'export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true\n'
  printf 'export PULUMI_HOME=%q\n' "$PULUMI_HOME_DIR"
  printf 'export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true\n'
} >"$ENV_FILE.tmp.$$"
mv -f "$ENV_FILE.tmp.$$" "$ENV_FILE"

log "total: $(elapsed "$T_TOTAL")"
if ((${#FAILED[@]})); then
  log "FAILED: ${FAILED[*]} (see messages above); the other components are in $BIN_DIR"
  exit 1
fi
log "ready: ${COMPONENTS[*]} in $BIN_DIR"
# shellcheck disable=SC2016 # $PATH is meant literally in the hint
printf 'export PATH=%q:$PATH   # or: . %q\n' "$BIN_DIR" "$ENV_FILE"
