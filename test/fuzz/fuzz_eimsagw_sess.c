/*
 * libFuzzer target: modules/eimsagw_ctl/eimsagw_sess.c with random event
 * sequences: every 4 input bytes are one event (kind, fork, method,
 * status, SDP, sides and which of a few tags). Invariants: actions
 * reference the session's call, an ended session never acts again, a
 * delete ends it, offers/answers carry the caller tag on one side; forks
 * are bounded, a fork once over never becomes pending again, the end of a
 * fork (tm, abort) or of a dialog ends an unanswered call only when no
 * fork is pending and never ends a confirmed one, SDP of a late fork is
 * refused only after the answer, initial offers carry the via-branch.
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
	uint32_t over = 0; /* bit k: fork k+1 was over */

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
	ev.fork = 1;
	if(eimsagw_sess_init(&s, &ev, data[0] & 4) != 0)
		abort();
	for(i = 0; i + 4 <= size; i += 4) {
		const uint8_t *e = data + i;
		uint32_t before, k;
		int rc, pend;
		if(i) {
			memset(&ev, 0, sizeof(ev));
			ev.kind = (eimsagw_evkind_t)(1 + (e[0] & 15) % 9);
			ev.fork = 1 + (e[0] >> 4) % 12; /* more than EIMSAGW_FORK_MAX */
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
		before = s.state;
		pend = eimsagw_sess_forks_pending(&s);
		rc = eimsagw_step(&s, &ev, &a);
		if(s.nforks > EIMSAGW_FORK_MAX
				|| eimsagw_sess_forks_pending(&s) > (int)s.nforks)
			abort();
		for(k = 0; k < s.nforks; k++) {
			if(s.forks[k].key < 1 || s.forks[k].key > 32)
				abort();
			if(s.forks[k].state != EIMSAGW_FORK_PENDING)
				over |= 1u << (s.forks[k].key - 1);
			else if(over & (1u << (s.forks[k].key - 1)))
				abort(); /* over, then pending again */
		}
		if(eimsagw_sess_forks_pending(&s) > pend
				&& !(ev.kind == EIMSAGW_EV_REQUEST
						&& ev.method == EIMSAGW_M_INVITE && !ev.to_tag.len))
			abort();
		if(rc == EIMSAGW_SESS_E_LATE && before < EIMSAGW_S_CONFIRMED)
			abort();
		if(rc < 0) {
			if(a.op != EIMSAGW_A_NONE)
				abort();
			continue;
		}
		if(a.op == EIMSAGW_A_DELETE
				&& (ev.kind == EIMSAGW_EV_TM_FAILED
						|| ev.kind == EIMSAGW_EV_TM_GONE
						|| ev.kind == EIMSAGW_EV_FORK_ABORT
						|| ev.kind == EIMSAGW_EV_DLG_ENDED)) {
			if(before < EIMSAGW_S_CONFIRMED && eimsagw_sess_forks_pending(&s))
				abort();
			if(before >= EIMSAGW_S_CONFIRMED && ev.kind != EIMSAGW_EV_DLG_ENDED)
				abort();
		}
		if(a.op == EIMSAGW_A_OFFER && ev.kind == EIMSAGW_EV_REQUEST
				&& ev.method == EIMSAGW_M_INVITE && !ev.to_tag.len
				&& !epc_span_eq(
						a.via_branch, epc_span_cstr(EIMSAGW_VIA_BRANCH)))
			abort();
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
