/*
 * libFuzzer target: modules/eimsagw_ctl/eimsagw_ng.c. Input: a flags
 * string, a NUL, then an ng reply datagram. Parsing either never reads
 * out of bounds; a parsed profile always builds a request that decodes as
 * one bencoded dictionary; query helpers stay within the reply.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eimsagw_ng.h"

#define NODES 1024

static eimsagw_bnode_t nodes[NODES];
static char req[70000];

static void check_request(const eimsagw_profile_t *p)
{
	eimsagw_ngreq_t r;
	size_t len;
	epc_span_t ck, payload;

	memset(&r, 0, sizeof(r));
	r.cmd = EIMSAGW_NG_OFFER;
	r.call_id = epc_span_cstr("c@x");
	r.from_tag = epc_span_cstr("f");
	r.to_tag = epc_span_cstr("t");
	r.sdp = epc_span_cstr("v=0\r\n");
	r.profile = p;
	r.extra = p;
	if(eimsagw_ng_build(&r, epc_span_cstr("ck"), req, sizeof(req), &len) != 0)
		abort(); /* 2 x 48 short words always fit */
	if(eimsagw_ng_split(req, len, &ck, &payload) != 0)
		abort();
	if(eimsagw_bdecode(payload.s, payload.len, nodes, NODES, NULL) != 0
			|| nodes[0].type != EIMSAGW_BT_DICT)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;
	const char *nul;
	size_t flen;
	eimsagw_profile_t p;
	eimsagw_ngreply_t rp;
	eimsagw_ngtotals_t t;
	eimsagw_ngstream_t st[4];
	char clean[64];

	if(size > 65536)
		return 0;
	copy = malloc(size ? size : 1);
	if(!copy)
		return 0;
	memcpy(copy, data, size);
	nul = memchr(copy, '\0', size);
	flen = nul ? (size_t)(nul - copy) : size;
	if(flen < 600
			&& eimsagw_profile_parse((epc_span_t){copy, flen}, &p, NULL) == 0)
		check_request(&p);
	if(nul) {
		const char *r = nul + 1;
		size_t rlen = size - flen - 1;
		if(eimsagw_ng_parse_reply(
				   r, rlen, epc_span_cstr("ck"), nodes, NODES, &rp)
				== 0) {
			if(rp.sdp.len && (rp.sdp.s < r || rp.sdp.s + rp.sdp.len > r + rlen))
				abort();
			(void)eimsagw_ng_query_totals(nodes, &t);
			(void)eimsagw_ng_query_streams(nodes, st, 4);
			if(eimsagw_sanitize(rp.error_reason, clean, sizeof(clean))
					>= sizeof(clean))
				abort();
		}
	}
	free(copy);
	return 0;
}
