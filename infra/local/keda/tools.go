//go:build tools

// Pins KEDA's two commands in this module's requirements: `go build github.com/kedacore/keda/v2/cmd/<name>`
// from this folder builds each with the replace line of go.mod.
package tools

import (
	_ "github.com/kedacore/keda/v2/cmd/adapter"
	_ "github.com/kedacore/keda/v2/cmd/operator"
)
