// SPDX-License-Identifier: MIT

// kb-goclient: a Go client for tests/bpf. Go makes its own system calls (no
// preload reaches it) and Dialer{KeepAlive: -1} turns keepalive off. It
// reports its socket's options as kb-client does, then waits in Read.
package main

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kb-goclient HOST:PORT")
		os.Exit(2)
	}
	d := net.Dialer{KeepAlive: -1}
	c, err := d.Dial("tcp", os.Args[1])
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
	fmt.Printf("connected %s ka=%d idle=%d intvl=%d cnt=%d uto=%d\n", os.Args[1], ka, idle, intvl, cnt, uto)
	buf := make([]byte, 256)
	_, err = c.Read(buf)
	fmt.Printf("result %v\n", err)
}
