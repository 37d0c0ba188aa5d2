// Wrapper module that pins the Pulumi Node.js language host. Built by
// scripts/pulumi-toolchain.sh.
//
// The host is an untagged nested module of github.com/pulumi/pulumi; the version
// below is the pseudo-version of commit dc7edd58bc13179f81b80983aab4eb7f74a01b41
// (2026-06-24T18:00:30Z), the commit the Go proxy reports for tag pkg/v3.248.0.
// Its own go.mod replaces pkg/v3 and sdk/v3 with local paths and
// atotto/clipboard with tgummerer/clipboard; those are repeated here.
module quantlab-infra/tools/pulumi-language-nodejs

go 1.25.11

require (
	github.com/pulumi/pulumi/pkg/v3 v3.248.0
	github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 v3.0.0-20260624180030-dc7edd58bc13
	github.com/pulumi/pulumi/sdk/v3 v3.248.0
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e

tool github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
