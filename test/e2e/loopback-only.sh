#!/bin/sh
# Run a command in a network namespace of its own that has only the
# loopback interface (127.0.0.1, ::1), so browsers gather no other ICE
# candidate and nothing a test does can leave the machine. Everything the
# command starts (the stack, the browsers) lives in that namespace and
# ends with it. Needs root (CI and 'make test' run as root); without it,
# the command runs as is and a warning says so.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 \
	&& unshare --net true 2>/dev/null; then
	# A default route over lo: Firefox's ICE gathering never completes on
	# a host without any default route (it looks for a default address);
	# in this namespace that route leads nowhere but back to loopback.
	exec unshare --net sh -c 'ip link set lo up && ip route add default dev lo \
		&& exec "$@"' sh "$@"
fi
echo "warning: not isolated to loopback (no root or no unshare)" >&2
exec "$@"
