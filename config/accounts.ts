/**
 * Accounts the runtime must not be: sysusers.d leaves an existing user or
 * group as it is, so `runtime.group: docker` would run every service with
 * the docker group's rights, and `runtime.user: www-data` as the web
 * server. Typed data, one reason each; rules.ts turns them into messages.
 */

/**
 * Groups that grant root-equivalent rights, read logs or secrets, reach raw
 * devices, or are shared with other accounts (whose members would then read
 * the runtime group's files, `core/.env` with its tokens among them).
 */
export const PRIVILEGED_GROUPS: Readonly<Record<string, string>> = {
  root: "gid 0, owns system files, many of them group-readable",
  sudo: "its members may run any command as root",
  admin: "sudo's group on older Ubuntu: its members may run any command as root",
  wheel: "its members may become root where pam_wheel or sudoers allow it",
  adm: "reads the system logs under /var/log",
  "systemd-journal": "reads the whole journal, every service's logs",
  shadow: "reads /etc/shadow, every password hash",
  "ssl-cert": "reads the TLS private keys in /etc/ssl/private",
  sasl: "reads the SASL password database",
  disk: "raw access to every block device, so to every file",
  kmem: "reads kernel and physical memory",
  docker: "drives the Docker daemon, which runs containers as root",
  lxd: "drives LXD, which runs privileged containers as root",
  "incus-admin": "drives Incus, which runs privileged containers as root",
  libvirt: "drives libvirt, whose VMs may attach any host disk",
  "libvirt-qemu": "the account libvirt's VMs run as, with their disks",
  kvm: "opens /dev/kvm and the VMs' devices",
  staff: "writes /usr/local, which is on root's PATH",
  src: "writes /usr/src",
  crontab: "writes the cron tables' spool",
  tty: "writes to every terminal",
  utmp: "rewrites the login records",
  video: "reads the screen and cameras",
  input: "reads every keyboard and mouse",
  audio: "records from the microphones",
  plugdev: "mounts removable devices",
  netdev: "changes the network configuration",
  dialout: "drives the serial ports and modems",
  cdrom: "raw access to optical drives",
  floppy: "raw access to floppy drives",
  tape: "raw access to tape drives (backups)",
  lp: "drives the printers and their queues",
  lpadmin: "administers the printers",
  mail: "reads every mailbox under /var/mail",
  operator: "reserved for system operators",
  backup: "the backups' group: reads what they read",
  daemon: "shared by legacy daemons",
  bin: "owns system programs on older systems",
  sys: "reserved system group",
  messagebus: "the D-Bus daemon's group",
  ssh: "ssh-agent's group on older Debian",
  tss: "drives the TPM",
  "www-data": "the web server's group, its files and sockets",
  proxy: "the web proxy's group",
  postgres: "reads PostgreSQL's data",
  mysql: "reads MySQL's data",
  redis: "reads Redis's data",
  users: "shared by every ordinary user on many systems",
  nogroup: "shared by every unprivileged daemon",
};

/** System and service accounts of Debian and its common server packages. */
export const SYSTEM_USERS: Readonly<Record<string, string>> = {
  daemon: "legacy daemons run as it",
  bin: "owns system programs on older systems",
  sys: "reserved system account",
  sync: "its login runs /bin/sync",
  games: "owns the games' scores",
  man: "owns the manual page cache",
  lp: "the printing system's account",
  mail: "owns the mail spool",
  news: "the news server's account",
  uucp: "owns the UUCP spool and serial lines",
  proxy: "the web proxy's account",
  "www-data": "the web server's account, its files and sockets",
  backup: "the backups' account: reads what they read",
  list: "the mailing list manager's account",
  irc: "the IRC server's account",
  gnats: "the GNATS bug tracker's account",
  nobody: "shared by every unprivileged daemon, so it must own nothing",
  messagebus: "the D-Bus daemon's account",
  sshd: "the SSH server's privilege separation account",
  polkitd: "polkit's account",
  tss: "the TPM software stack's account",
  statd: "the NFS status daemon's account",
  ntp: "the time server's account",
  dnsmasq: "dnsmasq's account",
  postfix: "the mail server's account",
  postgres: "PostgreSQL's account, owner of its data",
  mysql: "MySQL's account, owner of its data",
  redis: "Redis's account, owner of its data",
};

/** Name patterns reserved for system accounts (users and groups alike). */
export const SYSTEM_PREFIXES: ReadonlyArray<readonly [prefix: string, reason: string]> = [
  ["systemd-", "systemd's own accounts"],
  ["_", "Debian's names for system accounts (_apt, _chrony, _ssh ...)"],
];
