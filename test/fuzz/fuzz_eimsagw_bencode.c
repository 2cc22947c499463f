/*
 * libFuzzer target: modules/eimsagw_ctl/eimsagw_bencode.c. The decoder
 * never reads outside its input, keeps its tree consistent (every node's
 * subtree inside its parent, strings inside the input), and what it
 * accepts re-encodes to the same bytes.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eimsagw_bencode.h"

#define NODES 512

static eimsagw_bnode_t nodes[NODES];
static char out[70000];

/* Re-encode node i (iteratively over the flat tree) into b. */
static void encode(eimsagw_benc_t *b, uint32_t n)
{
	uint32_t i, stack[EIMSAGW_BENC_DEPTH_MAX + 1];
	int depth = 0;

	for(i = 0; i < n; i++) {
		while(depth > 0 && i >= nodes[stack[depth - 1]].next) {
			eimsagw_benc_end(b);
			depth--;
		}
		switch(nodes[i].type) {
			case EIMSAGW_BT_INT:
				eimsagw_benc_int(b, nodes[i].i);
				break;
			case EIMSAGW_BT_STR:
				eimsagw_benc_str(b, nodes[i].s);
				break;
			case EIMSAGW_BT_LIST:
			case EIMSAGW_BT_DICT:
				if(nodes[i].type == EIMSAGW_BT_LIST)
					eimsagw_benc_list(b);
				else
					eimsagw_benc_dict(b);
				if(nodes[i].next == i + 1) {
					eimsagw_benc_end(b);
				} else {
					if(depth > EIMSAGW_BENC_DEPTH_MAX)
						abort();
					stack[depth++] = i;
				}
				break;
			default:
				abort();
		}
	}
	while(depth-- > 0)
		eimsagw_benc_end(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;
	uint32_t n = 0, i;
	eimsagw_benc_t b;
	size_t len;

	if(size > 65536)
		return 0;
	copy = malloc(size ? size : 1);
	if(!copy)
		return 0;
	memcpy(copy, data, size);
	if(eimsagw_bdecode(copy, size, nodes, NODES, &n) == EIMSAGW_BENC_OK) {
		if(n == 0 || nodes[0].next != n)
			abort();
		for(i = 0; i < n; i++) {
			const eimsagw_bnode_t *nd = &nodes[i];
			if(nd->next <= i || nd->next > n)
				abort();
			if(nd->s.len
					&& (nd->s.s < copy || nd->s.s + nd->s.len > copy + size))
				abort();
			(void)eimsagw_bdict_get(nodes, i, epc_span_cstr("result"));
		}
		/* canonical input: decode + encode is the identity */
		eimsagw_benc_init(&b, out, sizeof(out));
		encode(&b, n);
		if(eimsagw_benc_finish(&b, &len) != 0 || len != size
				|| memcmp(out, copy, size) != 0)
			abort();
	}
	free(copy);
	return 0;
}
