#!/bin/sh
# Source checks that CI enforces (the style is only real when a script fails):
#  1. clang-format clean (Kamailio 5.6's .clang-format),
#  2. no banned libc functions (strcpy strcat sprintf vsprintf gets strtok
#     atoi atol sscanf) in C code,
#  3. pure cores (lib/*, modules/*/ except *_mod.c; not lib/kam/, the shared
#     glue helpers) use no Kamailio headers,
#     logging or allocators,
#  4. every shell script parses, every Python file compiles,
#  5. each module README is what its docbook renders to (make docs),
#  6. VERSION and the Debian changelog agree.
# Ends with 'checksrc: N passed, N failed'.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
pass=0; fail=0

check() {
	name=$1; shift
	if out=$("$@" 2>&1) && [ -z "$out" ]; then
		echo "PASS $name"; pass=$((pass + 1))
	else
		echo "FAIL $name"; printf '%s\n' "$out" | head -n 40; fail=$((fail + 1))
	fi
}

c_files=$(git ls-files '*.c' '*.h' 2>/dev/null || find lib modules test -name '*.[ch]')
# glue: *_mod.c, headers shared by a module's glue files (*_mod.h) and
# inter-module API headers (api.h, Kamailio's bind_* convention)
core_files=$(printf '%s\n' $c_files | grep -E '^(lib/[^/]+|modules/[^/]+/[^/]+)\.[ch]$' \
	| grep -vE '(_mod\.[ch]|/api\.h)$')

fmt() { clang-format --dry-run -Werror $c_files 2>&1 | grep -E '^[^ ]+:[0-9]+:[0-9]+: error' ; true; }
banned() {
	grep -nE '\<(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|sscanf)[[:space:]]*\(' \
		$c_files | grep -v 'checksrc: allow'; true
}
pure() {
	grep -nE '#include[[:space:]]*"(\.\./)*core/|\<(LM_[A-Z]+|pkg_malloc|pkg_free|shm_malloc|shm_free)\>' \
		$core_files; true
}
scripts_ok() {
	for f in $(git ls-files '*.sh' .ci/run 2>/dev/null); do sh -n "$f" || echo "$f"; done
	for f in $(git ls-files '*.py' 2>/dev/null); do
		python3 -m py_compile "$f" >/dev/null 2>&1 || echo "python: $f"
	done
	if command -v node >/dev/null 2>&1; then
		for f in $(git ls-files '*.js' 2>/dev/null); do
			node --check "$f" >/dev/null 2>&1 || echo "javascript: $f"
		done
	fi
}

docs_current() { scripts/gendoc.sh --check; }
version_consistent() {
	v=$(cat VERSION)
	c=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' packaging/debian/changelog)
	[ "$v" = "$c" ] || echo "VERSION $v but packaging/debian/changelog says $c"
}

check "clang-format (.clang-format of Kamailio 5.6)" fmt
check "no banned libc functions" banned
check "pure cores free of Kamailio APIs" pure
check "shell, python and javascript files parse" scripts_ok
check "module READMEs generated from their docbook" docs_current
check "VERSION matches packaging/debian/changelog" version_consistent
echo "checksrc: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
