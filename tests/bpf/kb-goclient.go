// SPDX-License-Identifier: MIT

// kb-goclient [-default] HOST:PORT: a Go client for tests/bpf. Go makes its
// own system calls (no preload reaches it); Dialer{KeepAlive: -1} turns
// keepalive off, while the default Dialer (-default) sets its own 15 s after
// connect. It reports its socket's options as kb-client does, then waits in
// Read.
package main

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

func main() {
	args := os.Args[1:]
	d := net.Dialer{KeepAlive: -1}
	if len(args) == 2 && args[0] == "-default" {
		d = net.Dialer{}
		args = args[1:]
	}
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: kb-goclient [-default] HOST:PORT")
		os.Exit(2)
	}
	c, err := d.Dial("tcp", args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	raw, _ := c.(*net.TCPConn).SyscallConn()
	var ka, idle, intvl, cnt, uto int
	raw.Control(func(fd uintptr) {
		f := int(fd)
		ka, _ = syscall.GetsockoptInt(f, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
		idle, _ = syscall.GetsockoptInt(f, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
		intvl, _ = syscall.GetsockoptInt(f, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL)
		cnt, _ = syscall.GetsockoptInt(f, syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT)
		uto, _ = syscall.GetsockoptInt(f, syscall.IPPROTO_TCP, 18)
	})
	if ka != 0 {
		ka = 1
	}
	fmt.Printf("connected %s ka=%d idle=%d intvl=%d cnt=%d uto=%d\n", args[0], ka, idle, intvl, cnt, uto)
	buf := make([]byte, 256)
	_, err = c.Read(buf)
	fmt.Printf("result %v\n", err)
}
