package attack

import "syscall"

// wholeLoopbackNet: Linux answers on every address of 127.0.0.0/8 (lo's 127.0.0.1/8).
const wholeLoopbackNet = true

// ipBindAddressNoPort is Linux's IP_BIND_ADDRESS_NO_PORT (linux/in.h), absent from syscall.
const ipBindAddressNoPort = 24

// bindNoPort leaves the source port to connect, as without a bound address: the kernel's
// own choice for the destination, not bind's for any.
func bindNoPort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
	}); err != nil {
		return err
	}
	return serr
}
