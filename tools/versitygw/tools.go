//go:build tools

// Wrapper module that pins the sandbox host's S3 server (Versity S3 Gateway).
// Built by scripts/pulumi-toolchain.sh; this import keeps `go mod tidy` from
// dropping the requirement.
package tools

import _ "github.com/versity/versitygw/cmd/versitygw"
