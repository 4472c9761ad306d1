//go:build tools

// Pins the Kubernetes commands in this module's requirements: kube-apiserver for the Kubernetes driver's
// tests, and the rest of a node (kubelet, controller-manager, scheduler, kube-proxy) for `dp cluster`.
// `go build k8s.io/kubernetes/cmd/<name>` from this folder builds each with the replace lines of go.mod.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
