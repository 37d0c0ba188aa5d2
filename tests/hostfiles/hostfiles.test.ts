import { describe, expect, it } from "vitest";
import { renderCronFile } from "../../hostfiles/cron";
import { renderTmpfiles } from "../../hostfiles/tmpfiles";
import { renderSysusers } from "../../hostfiles/sysusers";
import { renderLogrotate } from "../../hostfiles/logrotate";
import { distinctConfig, fileAt, planOf } from "../fixtures/stack";

describe("cron", () => {
  it("renders the runbook's ML line as an /etc/cron.d file with user field and final newline", () => {
    expect(renderCronFile({ job: "ml", schedule: "15 0 * * *", user: "qlrun", coreDir: "/srv/ql/core" })).toBe(
      `# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next \`pulumi up\`.
# Daily ML training
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
15 0 * * * qlrun cd /srv/ql/core && node scheduler/run_daily_ml.js >> /var/log/quantlab-ml.log 2>&1
`,
    );
  });

  it("escapes % in the command", () => {
    expect(renderCronFile({ job: "ops-report", schedule: "@daily", user: "u1", coreDir: "/a%b" })).toContain(
      "@daily u1 cd /a\\%b && node scheduler/run_ops_report.js >> /var/log/quantlab-ops-report.log 2>&1\n",
    );
  });

  it("refuses to render an invalid schedule", () => {
    expect(() => renderCronFile({ job: "ml", schedule: "0 0 * *", user: "u", coreDir: "/c" })).toThrow(
      "cron job ml: expected five space-separated fields (minute hour day-of-month month day-of-week)",
    );
  });
});

describe("tmpfiles, sysusers, logrotate", () => {
  it("declares every directory once, with owners from the runtime config", () => {
    const plan = planOf(distinctConfig());
    expect(fileAt(plan, "/etc/tmpfiles.d/quantlab.conf").content)
      .toBe(`# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next \`pulumi up\`.
# env files, read by systemd as root
d /etc/quantlab 0750 root root -
# home of qlrun
d /srv/qlhome 0750 qlrun qlgrp -
# backend tree down to the runs directory
d /srv/qlhome/backend 0755 qlrun qlgrp -
# backend tree down to the runs directory
d /srv/qlhome/backend/services 0755 qlrun qlgrp -
# backend tree down to the runs directory
d /srv/qlhome/backend/services/strategyd 0755 qlrun qlgrp -
# core (holds the dotenv file)
d /srv/qlhome/backend/core 0755 qlrun qlgrp -
# strategyd runs (never deleted)
d /srv/qlhome/backend/services/strategyd/runs 0750 qlrun qlgrp -
# parent of the collector spool (created if missing, never adjusted)
d /data/ql - - - -
# collector spool (never deleted)
d /data/ql/spool 0750 qlrun qlgrp -
# log of cron job ml
f /var/log/quantlab-ml.log 0640 qlrun qlgrp -
`);
    // The plan's directories are exactly what that file declares.
    expect(renderTmpfiles(plan.directories)).toBe(fileAt(plan, "/etc/tmpfiles.d/quantlab.conf").content);
    expect(plan.directories.map((d) => `${d.type} ${d.path}`)).toEqual([
      "d /etc/quantlab",
      "d /srv/qlhome",
      "d /srv/qlhome/backend",
      "d /srv/qlhome/backend/services",
      "d /srv/qlhome/backend/services/strategyd",
      "d /srv/qlhome/backend/core",
      "d /srv/qlhome/backend/services/strategyd/runs",
      "d /data/ql",
      "d /data/ql/spool",
      "f /var/log/quantlab-ml.log",
    ]);
  });

  it("rejects a non-octal mode", () => {
    expect(() => renderTmpfiles([{ type: "d", path: "/x", mode: "755", user: "a", group: "b", purpose: "p" }])).toThrow(
      "tmpfiles /x: mode 755 is not an octal 0NNN mode",
    );
  });

  it("creates the group, then the user in it", () => {
    expect(renderSysusers({ user: "qlrun", group: "qlgrp", home: "/srv/qlhome" })).toBe(
      `# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next \`pulumi up\`.
g qlgrp -
u qlrun -:qlgrp "QuantLab runtime" /srv/qlhome /bin/bash
`,
    );
  });

  it("rotates the scheduler logs, recreating them for the runtime user", () => {
    expect(renderLogrotate({ paths: ["/var/log/a.log", "/var/log/b.log"], user: "qlrun", group: "qlgrp" })).toBe(
      `# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next \`pulumi up\`.
/var/log/a.log /var/log/b.log {
    daily
    rotate 14
    missingok
    notifempty
    compress
    delaycompress
    create 0640 qlrun qlgrp
}
`,
    );
  });
});
