// Package k8s holds cachesrv's Kubernetes manifests (the *.yaml files
// beside this one, applied with kubectl apply -f deploy/k8s/) and the test
// that decodes each of them strictly into the Kubernetes API types.
package k8s
