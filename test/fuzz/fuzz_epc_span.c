/*
 * libFuzzer target: lib/epc_span.c scanners keep within their input and
 * agree with each other.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "epc_span.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;
	epc_span_t in, h, r, t;
	uint64_t v;

	if(size > 4096)
		return 0;
	/* exact-size heap copy: ASan catches any read past the end */
	copy = malloc(size ? size : 1);
	if(!copy)
		return 0;
	memcpy(copy, data, size);
	in = (epc_span_t){copy, size};

	if(epc_span_split(in, ':', &h, &r)) {
		if(h.len + 1 + r.len != in.len || h.s[h.len] != ':')
			abort();
	} else if(h.len != in.len || r.len != 0) {
		abort();
	}
	t = epc_span_trim(in);
	if(t.len > in.len || (t.len && (t.s < in.s || t.s + t.len > in.s + in.len)))
		abort();
	if(epc_span_to_u64(in, 65535, &v) == 0 && v > 65535)
		abort();
	if(!epc_span_eq_nocase(in, in))
		abort();
	free(copy);
	return 0;
}
