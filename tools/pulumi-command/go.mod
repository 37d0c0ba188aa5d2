// Wrapper module that pins the command provider (pulumi-resource-command) 1.2.1.
// Built by scripts/pulumi-toolchain.sh.
//
// Tag v1.2.1 of github.com/pulumi/pulumi-command is commit
// 7f3eb6f3b77cd0fa3895ba437a695dd393f7dd25 (2026-03-03T23:59:22Z); the provider
// is the untagged nested module provider/, so it is pinned by pseudo-version.
module quantlab-infra/tools/pulumi-command

go 1.25.11

require github.com/pulumi/pulumi-command/provider v0.0.0-20260303235922-7f3eb6f3b77c

tool github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command
