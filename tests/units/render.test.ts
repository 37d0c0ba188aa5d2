import { describe, expect, it } from "vitest";
import { renderUnit, type UnitSpec } from "../../units/render";

// Every field distinct: user != group, paths and ports unlike any default.
const python: UnitSpec = {
  unit: "quantlab-fx.service",
  description: "Fixture python service",
  user: "qlrun",
  group: "qlgrp",
  workingDirectory: "/srv/fx/work",
  execStart: ["/usr/bin/python3", "fx.py", "--flag=1"],
  environmentFile: "/etc/quantlab/fx.env",
  after: ["quantlab-a.service", "quantlab-b.service"],
  port: 4123,
  readWritePaths: ["/data/fx/spool", "/data/fx/runs"],
  runtime: "python",
};

describe("renderUnit", () => {
  it("renders a python service with the full baseline", () => {
    expect(renderUnit(python)).toBe(`# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next \`pulumi up\`.
[Unit]
Description=Fixture python service
After=network-online.target quantlab-a.service quantlab-b.service
Wants=network-online.target quantlab-a.service quantlab-b.service

[Service]
Type=exec
User=qlrun
Group=qlgrp
WorkingDirectory=/srv/fx/work
EnvironmentFile=/etc/quantlab/fx.env
ExecStart=/usr/bin/python3 fx.py --flag=1
# active only once listening: units after this one start against a ready port
ExecStartPost=/bin/bash -c 'for attempt in {1..600}; do (exec 3<>/dev/tcp/127.0.0.1/4123) 2>/dev/null && exit 0; sleep 0.1; done; echo "quantlab-fx.service: port 4123 not accepting connections after 60 s" >&2; exit 1'
Restart=on-failure
RestartSec=2s
TimeoutStartSec=90s
# hardening: quantlab-baseline (units/hardening.ts)
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
PrivateUsers=yes
PrivateIPC=yes
DevicePolicy=closed
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
UMask=0027
# relaxed: the only paths this service writes
ReadWritePaths=/data/fx/spool
ReadWritePaths=/data/fx/runs

[Install]
WantedBy=multi-user.target
`);
  });

  it("relaxes node services with a comment on each relaxation, and sets npm's cache for npm start", () => {
    const text = renderUnit({
      ...python,
      runtime: "node",
      execStart: ["/usr/bin/npm", "start"],
      port: undefined,
      readWritePaths: [],
      after: [],
    });
    expect(text).not.toContain("MemoryDenyWriteExecute=");
    expect(text).not.toContain("ExecStartPost=");
    expect(text).not.toContain("ReadWritePaths=");
    expect(text).toContain(
      "# npm writes its cache and logs under the private /tmp (the home directory is read-only)\nEnvironment=npm_config_cache=/tmp/npm-cache npm_config_update_notifier=false\nExecStart=/usr/bin/npm start\n",
    );
    expect(text).toContain("# relaxed: os.cpus() reads /proc/cpuinfo and /proc/stat\nProcSubset=all\n");
    expect(text).toContain(
      "# relaxed: os.networkInterfaces() throws without AF_NETLINK\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n",
    );
    expect(text).toContain("UMask=0027\n# relaxed: MemoryDenyWriteExecute not set: V8's JIT needs writable+executable memory\n\n[Install]");
  });

  it("refuses an argument systemd or a shell would interpret", () => {
    expect(() => renderUnit({ ...python, execStart: ["/usr/bin/python3", "a b"] })).toThrow(
      'unit command argument "a b" has characters outside [A-Za-z0-9_@+=:,./-]',
    );
    expect(() => renderUnit({ ...python, execStart: ["python3"] })).toThrow('unit command must start with an absolute path, got "python3"');
  });
});
