//go:build tools

// Pins kube-apiserver in this module's requirements; `go build k8s.io/kubernetes/cmd/kube-apiserver`
// from this folder builds it with the replace lines of go.mod.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
