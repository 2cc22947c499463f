#!/bin/sh
# Install every Debian package the project needs (scripts/packages.txt) and
# prepare the Kamailio source tree our modules compile against.
#
# Idempotent: a second run installs nothing and reuses the cached source tree.
# Needs root (or sudo) only when something is missing.
#
# Usage: scripts/install-deps.sh [BUILD_DIR]
#   BUILD_DIR defaults to ./build; the configured Kamailio source tree is
#   cached in BUILD_DIR/ksrc (kept by 'make clean', removed by 'make distclean').
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
ksrc_cache=$build/ksrc

say() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run: $*"
	fi
}

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# --- 1. Debian packages -------------------------------------------------------
want=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/scripts/packages.txt")
# Node.js and npm: the machine may already ship them (e.g. from nodesource);
# Debian's npm conflicts with those builds, so only install when absent.
command -v node >/dev/null 2>&1 || want="$want nodejs"
command -v npm >/dev/null 2>&1 || want="$want npm"

missing=
for p in $want; do
	installed "$p" || missing="$missing $p"
done

if [ -n "$missing" ]; then
	say "installing:$missing"
	# Never start system services from package scripts: the tests and the
	# demo start their own kamailio/rtpengine on free ports, by pid.
	policy_tmp=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
		policy_tmp=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing
	[ -z "$policy_tmp" ] || as_root rm -f /usr/sbin/policy-rc.d
else
	say "all Debian packages present"
fi

# --- 2. Kamailio source of exactly the installed binary -----------------------
kver=$(dpkg-query -W -f='${Version}' kamailio)      # e.g. 5.6.3-2
kup=${kver%-*}; kup=${kup#*:}                         # e.g. 5.6.3
case "$kup" in
	5.6.*) ;;
	*) die "kamailio $kver installed; these modules target the 5.6 series" ;;
esac
tree=$ksrc_cache/kamailio-$kup
stamp=$tree/.configured-for-$kver

# The module build finds the tree as $ksrc_cache/kamailio (mk/module-pre.mk).
link_tree() { ln -sfn "kamailio-$kup" "$ksrc_cache/kamailio"; }

if [ -f "$stamp" ]; then
	link_tree
	say "kamailio $kver source tree cached at $tree"
	exit 0
fi

# Enable deb-src for the same mirror and suites as the existing deb entries.
if ! grep -rqs '^[[:space:]]*\(Types:.*deb-src\|deb-src[[:space:]]\)' \
		/etc/apt/sources.list /etc/apt/sources.list.d/; then
	src=/etc/apt/sources.list.d/debian.sources
	[ -f "$src" ] || die "no $src to derive a deb-src entry from"
	say "enabling deb-src entries derived from $src"
	as_root sh -c "sed -e 's/^Types:.*deb\$/Types: deb-src/' -e '/^#/d' '$src' \
		> /etc/apt/sources.list.d/debian-src.sources"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
fi

rm -rf "$ksrc_cache"
mkdir -p "$ksrc_cache"
say "fetching kamailio=$kver source package"
(cd "$ksrc_cache" && apt-get source -qq --download-only \
	-o APT::Sandbox::User=root "kamailio=$kver")
# dpkg-source applies Debian's patches, so headers match the packaged binary.
(cd "$ksrc_cache" && dpkg-source --no-check -x kamailio_*.dsc "kamailio-$kup" >/dev/null)
say "configuring the source tree (make cfg)"
make -s -C "$tree" cfg prefix=/usr cfg_target=/etc/kamailio/ FLAVOUR=kamailio >/dev/null
touch "$stamp"
link_tree
say "kamailio $kver source tree ready at $tree"
