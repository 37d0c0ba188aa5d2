# shellcheck shell=bash
# scripts/sandbox/s3.sh - the sandbox host's S3 server: Versity S3 Gateway
# (versitygw, a production S3 gateway built from Go modules by
# scripts/setup.sh into .tools/bin) on the host's own network, port 9000, with
# a posix backend under /var/lib/sandbox-s3 (a bucket is a directory). Its
# root keys are made fresh per rootfs: root-only in the host's
# /etc/sandbox-s3.env and in STATE/s3.json (0600), from which a sandbox stack
# takes them as its encrypted quantlab:s3 keys. Sourced by scripts/sandbox.sh.

S3_PORT=9000
# The buckets made with each fresh rootfs (the sandbox stack's two).
S3_BUCKETS=${SANDBOX_S3_BUCKETS:-quantlab-compact-sandbox quantlab-archive-sandbox}

s3_bin() {
  local bin=${SANDBOX_S3_BIN:-$(cd "$SANDBOX_PARTS/../.." && pwd -P)/.tools/bin/versitygw}
  [[ -x $bin ]] || die "no S3 server at $bin: run bash scripts/setup.sh (it builds versitygw from Go modules)"
  printf '%s\n' "$bin"
}

# The unit, its keys and the buckets, in a rootfs just extracted.
prepare_s3() {
  local r=$1 access secret b
  access=QLSBX$(od -An -N10 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
  secret=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  (
    umask 077
    printf 'ROOT_ACCESS_KEY_ID=%s\nROOT_SECRET_ACCESS_KEY=%s\n' "$access" "$secret" >"$r/etc/sandbox-s3.env"
    printf '{"endpoint":"http://127.0.0.1:%s","accessKeyId":"%s","secretAccessKey":"%s"}\n' "$S3_PORT" "$access" "$secret" >"$STATE/s3.json.tmp"
  )
  mv -f "$STATE/s3.json.tmp" "$STATE/s3.json"
  install -d -m 700 "$r/var/lib/sandbox-s3"
  for b in $S3_BUCKETS; do install -d -m 700 "$r/var/lib/sandbox-s3/$b"; done
  : >"$r/usr/local/sbin/sandbox-s3" # the mount point of the binary (bound read-only by nspawn)
  cat >"$r/etc/systemd/system/sandbox-s3.service" <<UNIT
# written by scripts/sandbox.sh: the sandbox's S3 server
[Unit]
Description=sandbox S3 server (versitygw, posix backend)
After=network.target

[Service]
EnvironmentFile=/etc/sandbox-s3.env
ExecStart=/usr/local/sbin/sandbox-s3 --port :$S3_PORT --quiet posix /var/lib/sandbox-s3
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
  ln -sfn /etc/systemd/system/sandbox-s3.service "$r/etc/systemd/system/multi-user.target.wants/sandbox-s3.service"
}
