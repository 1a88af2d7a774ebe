// A Go program that only waits for SIGTERM: bench_supervisor measures its
// idle memory and size as a lower bound for virt-launcher-monitor, the Go
// program KubeVirt runs as PID 1 of the compute container (any Go program
// carries at least this runtime).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	<-c
}
