// Command beacon-healthcheck asks a Beacon on this host whether it is ready
// (GET /readyz) and exits 0 if it answered 200, 1 otherwise. It exists for
// container images built FROM scratch, which have no curl or wget for a
// HEALTHCHECK: it is a static Go program of its own, without cgo, and it
// speaks just enough HTTP/1.1 for one request, so it adds little to the
// image.
//
// The address comes from BEACON_ADDR, as the server's does (a container's
// health check runs with the container's environment), or from the first
// argument: beacon-healthcheck [HOST:PORT].
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	addr := os.Getenv("BEACON_ADDR")
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	if err := check(addr, 5*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "beacon-healthcheck:", err)
		os.Exit(1)
	}
}

// dialAddr turns a listen address into one to connect to: an empty or
// wildcard host means this host's loopback.
func dialAddr(listen string) (string, error) {
	if listen == "" {
		listen = ":8080"
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", listen, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port), nil
}

// check sends GET /readyz to the server listening on listen and wants 200.
func check(listen string, timeout time.Duration) error {
	addr, err := dialAddr(listen)
	if err != nil {
		return err
	}
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(conn, "GET /readyz HTTP/1.1\r\nHost: %s\r\nUser-Agent: beacon-healthcheck\r\nConnection: close\r\n\r\n", addr); err != nil {
		return err
	}
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("GET http://%s/readyz: %w", addr, err)
	}
	status = strings.TrimSpace(status)
	if f := strings.Fields(status); len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") || f[1] != "200" {
		return fmt.Errorf("GET http://%s/readyz: %q, want 200", addr, status)
	}
	return nil
}
