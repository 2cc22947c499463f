/*
 * libFuzzer target: lib/epc_origin.c. Parsing never reads out of bounds,
 * the canonical form re-parses to the same origin, an origin always matches
 * itself as a pattern, and a match of an exact pattern means equality.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "epc_origin.h"

static void roundtrip(const epc_origin_t *o, int pattern)
{
	char buf[EPC_ORIGIN_FMT_MAX];
	epc_origin_t again;
	int n = epc_origin_format(o, buf, sizeof(buf));

	if(n < 0 || (size_t)n >= sizeof(buf) || strlen(buf) != (size_t)n)
		abort();
	if((pattern ? epc_origin_parse_pattern : epc_origin_parse)(
			   (epc_span_t){buf, (size_t)n}, &again)
			!= 0)
		abort();
	if(!epc_origin_equal(o, &again))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	epc_origin_t o, p, a, b;
	char *copy;
	size_t half;
	int ro, rp;

	if(size > 1024)
		return 0;
	copy = malloc(size ? size : 1);
	if(!copy)
		return 0;
	memcpy(copy, data, size);

	ro = epc_origin_parse((epc_span_t){copy, size}, &o);
	rp = epc_origin_parse_pattern((epc_span_t){copy, size}, &p);
	if(ro == 0) {
		roundtrip(&o, 0);
		/* every origin is also a pattern that matches it */
		if(rp != 0 || !epc_origin_equal(&o, &p) || !epc_origin_match(&p, &o))
			abort();
		if(o.wildcard || o.host_len == 0 || o.scheme_len == 0)
			abort();
	}
	if(rp == 0)
		roundtrip(&p, 1);
	if(ro < 0 && rp == 0 && !p.wildcard)
		abort();

	/* first half a pattern, second half an origin */
	half = size / 2;
	if(epc_origin_parse_pattern((epc_span_t){copy, half}, &a) == 0
			&& epc_origin_parse((epc_span_t){copy + half, size - half}, &b) == 0
			&& epc_origin_match(&a, &b)) {
		if(!a.wildcard && !epc_origin_equal(&a, &b))
			abort();
		if(a.wildcard && (b.host_len <= a.host_len + 1 || a.port != b.port))
			abort();
	}
	free(copy);
	return 0;
}
