// The etcd server, built from the etcd server module at the version kube-apiserver requires, so the
// Kubernetes driver's tests run against the same storage a cluster uses.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
