/*
 * libFuzzer target: lib/epc_sdp.c + modules/sdp_unbundle/sdpu.c.
 * Parse, print (must round-trip), transform toward Mw and W2 with policies
 * picked from the first input byte; every output must parse again, to_mw
 * must be idempotent, and the offer map must survive its text form.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "epc_sdp.h"
#include "sdpu.h"

#define MAXIN 65536
#define OUTSZ (2 * MAXIN + 8192)

static char out[OUTSZ], out2[OUTSZ], text[SDPU_MAP_TEXT_MAX];

static const char *flagsets[] = {"", "keep-mid,keep-ssrc,proto=avpf",
		"dc=pass,bundle-only=pass,rtcp=keep", "keep-ice,keep-dtls,proto=keep",
		"keep-fec,keep-rtcp-fb,rtcp=strip", "no-w2-bundle,no-w2-mid",
		"keep-rtcp-mux,keep-extmap,keep-msid", "no-w2-proto,no-w2-mux"};

static void must_parse(const char *b, size_t n, epc_sdp_t *s)
{
	epc_sdp_err_t err;
	if(epc_sdp_parse_alloc((epc_span_t){b, n}, &epc_alloc_libc, s, &err) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	epc_sdp_t sdp, o1, o2;
	epc_sdp_err_t err;
	sdpu_policy_t p;
	sdpu_map_t map, back;
	sdpu_stats_t st;
	size_t n, n2, tl;
	char *copy;
	int sel;

	if(size < 1 || size > MAXIN)
		return 0;
	sel = data[0];
	data++;
	size--;
	copy = malloc(size ? size : 1);
	if(!copy)
		return 0;
	memcpy(copy, data, size);
	if(epc_sdp_parse_alloc(
			   (epc_span_t){copy, size}, &epc_alloc_libc, &sdp, &err)
			!= 0) {
		if(err.offset > size)
			abort();
		free(copy);
		return 0;
	}
	/* round trip */
	n = epc_sdp_print(&sdp, out, OUTSZ);
	if(n != size || memcmp(out, copy, size) != 0)
		abort();
	sdpu_policy_default(&p);
	if(sdpu_policy_flags(&p, epc_span_cstr(flagsets[sel & 7]), NULL) != 0)
		abort();
	if(sdpu_to_mw(&sdp, &p, (sel >> 3) & 1, NULL, &map, out, OUTSZ, &n, &st)
			== 0) {
		must_parse(out, n, &o1);
		if(sdpu_to_mw(
				   &o1, &p, (sel >> 3) & 1, NULL, NULL, out2, OUTSZ, &n2, &st)
				!= 0)
			abort();
		if(n2 != n || memcmp(out, out2, n) != 0)
			abort();
		if((sel >> 3) & 1) {
			if(sdpu_map_encode(&map, text, sizeof(text), &tl) != 0
					|| sdpu_map_decode((epc_span_t){text, tl}, &back) != 0
					|| memcmp(&back, &map, sizeof(map)) != 0)
				abort();
			/* the browser offer's map against this SDP as the answer */
			if(sdpu_to_w2(&o1, &p, 0, &map, out2, OUTSZ, &n2, &st) == 0) {
				must_parse(out2, n2, &o2);
				if(o2.nmedia != map.n)
					abort();
				epc_sdp_free(&o2, &epc_alloc_libc);
			}
		}
		epc_sdp_free(&o1, &epc_alloc_libc);
	}
	if(sdpu_to_w2(&sdp, &p, 1, NULL, out, OUTSZ, &n, &st) == 0) {
		must_parse(out, n, &o1);
		if(o1.nmedia != sdp.nmedia)
			abort();
		epc_sdp_free(&o1, &epc_alloc_libc);
	}
	epc_sdp_free(&sdp, &epc_alloc_libc);
	free(copy);
	return 0;
}
