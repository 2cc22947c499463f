/*
 * libFuzzer target: modules/eimsagw_ctl/eimsagw_sess.c with random event
 * sequences: every 4 input bytes are one event (kind, method, status,
 * SDP, sides and which of a few tags). Invariants: actions reference the
 * session's call, an ended session never acts again, a delete ends it,
 * offers/answers carry the caller tag on one side.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eimsagw_sess.h"

static const char *const tags[] = {"a", "b", "c", ""};
static const int statuses[] = {100, 180, 183, 200, 202, 486, 487, 491};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	eimsagw_sess_t s;
	eimsagw_event_t ev;
	eimsagw_actions_t a;
	size_t i;
	int ended = 0;

	if(size < 4 || size > 4096)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.kind = EIMSAGW_EV_REQUEST;
	ev.method = EIMSAGW_M_INVITE;
	ev.has_sdp = data[0] & 1;
	ev.rx_side = (data[0] & 2) ? EIMSAGW_SIDE_W2 : EIMSAGW_SIDE_MW;
	ev.call_id = epc_span_cstr("call@fuzz");
	ev.from_tag = epc_span_cstr("a");
	ev.to_tag = EPC_SPAN_NULL;
	if(eimsagw_sess_init(&s, &ev, data[0] & 4) != 0)
		abort();
	for(i = 0; i + 4 <= size; i += 4) {
		const uint8_t *e = data + i;
		int rc;
		if(i) {
			memset(&ev, 0, sizeof(ev));
			ev.kind = (eimsagw_evkind_t)(1 + e[0] % 8);
			ev.method = (eimsagw_method_t)(e[1] % 7);
			ev.status = statuses[e[2] % 8];
			ev.has_sdp = e[3] & 1;
			ev.reliable = e[3] & 2;
			ev.rx_side = (e[3] & 4) ? EIMSAGW_SIDE_W2 : EIMSAGW_SIDE_MW;
			ev.call_id = epc_span_cstr("call@fuzz");
			ev.from_tag = epc_span_cstr(tags[(e[3] >> 3) & 3]);
			ev.to_tag = epc_span_cstr(tags[(e[3] >> 5) & 3]);
			ev.now = (int64_t)i;
			ev.early_timeout = e[2] & 16 ? 8 : 0;
			ev.lifetime = e[2] & 32 ? 16 : 0;
			if(eimsagw_sess_match(&s, &ev) == EIMSAGW_MATCH_NO)
				continue;
		}
		rc = eimsagw_step(&s, &ev, &a);
		if(rc < 0)
			continue;
		if(ended && (rc != 0 || a.op != EIMSAGW_A_NONE))
			abort();
		if(rc == 0) {
			if(a.op != EIMSAGW_A_NONE)
				abort();
			continue;
		}
		if(!epc_span_eq(a.call_id,
				   s.spiral ? epc_span_cstr("call@fuzz" EIMSAGW_SPIRAL_SUFFIX)
							: epc_span_cstr("call@fuzz")))
			abort();
		if(a.op == EIMSAGW_A_DELETE) {
			if(!a.end || s.state != EIMSAGW_S_ENDED
					|| !epc_span_eq(a.from_tag, epc_span_cstr("a")))
				abort();
			ended = 1;
		} else {
			if(a.end || a.profile >= EIMSAGW_P_COUNT || !a.rewrite)
				abort();
			if(!epc_span_eq(a.from_tag, epc_span_cstr("a"))
					&& !epc_span_eq(a.to_tag, epc_span_cstr("a")))
				abort();
		}
	}
	return 0;
}
