/*
 * Copyright (C) 2026 The eP-CSCF modules authors
 *
 * This file is part of the eP-CSCF modules for Kamailio.
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the Free
 * Software Foundation; either version 2 of the License, or (at your option)
 * any later version.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * eimsagw_ctl glue shared by its *_mod.c files (Kamailio side only):
 *   eimsagw_ctl_mod.c    exports, parameters, script functions, KEMI, PV
 *   eimsagw_io_mod.c     the AGW set in shm, ng sockets and exchanges, timer
 *   eimsagw_table_mod.c  the session table in shm, tm/dialog callbacks
 *   eimsagw_rpc_mod.c    RPC commands
 */

#ifndef EIMSAGW_CTL_MOD_H
#define EIMSAGW_CTL_MOD_H

#include "core/sr_module.h"
#include "core/str.h"
#include "core/counters.h"
#include "core/parser/msg_parser.h"

#include "eimsagw_ng.h"
#include "eimsagw_set.h"
#include "eimsagw_sess.h"

/* cfg/KEMI return codes (documented in eimsagw_ctl_admin.xml) */
#define EIMSAGW_RC_OK 1
#define EIMSAGW_RC_NOTHING 2
#define EIMSAGW_RC_ERROR -1
#define EIMSAGW_RC_NO_AGW -2
#define EIMSAGW_RC_REJECTED -3
#define EIMSAGW_RC_LIMIT -4
#define EIMSAGW_RC_LATE -5 /* SDP of a fork after another answered the call */
/* SDP that no media session anchors: no session for the message (e.g. its
 * call began before a restart) or SDP the call's state does not expect
 * (an ACK retransmission repeating an answer already taken) */
#define EIMSAGW_RC_UNANCHORED -6

/* module parameters (eimsagw_ctl_mod.c) */
extern int eimsagw_ng_timeout;
extern int eimsagw_ng_retries;
extern int eimsagw_ping_interval;
extern int eimsagw_down_after;
extern int eimsagw_delete_delay;
extern int eimsagw_early_timeout;
extern int eimsagw_session_lifetime;
extern int eimsagw_hash_size;
extern int eimsagw_max_sessions;
extern eimsagw_profile_t eimsagw_profiles[EIMSAGW_P_COUNT];

/* counters (eimsagw_ctl_mod.c) */
typedef struct eimsagw_counters
{
	counter_handle_t offers;
	counter_handle_t answers;
	counter_handle_t deletes;
	counter_handle_t cleanups;
	counter_handle_t ng_timeouts;
	counter_handle_t ng_errors;
	counter_handle_t refused_no_agw;
	counter_handle_t sdp_rejected;
	counter_handle_t failovers;
	counter_handle_t sessions_created;
} eimsagw_counters_t;
extern eimsagw_counters_t eimsagw_cnt;

/** Seconds of the wall clock (the AGW's time base in query replies). */
int64_t eimsagw_now(void);

/* --- eimsagw_io_mod.c --- */

#define EIMSAGW_IO_OK 0
#define EIMSAGW_IO_E_BUILD -1	/* request could not be built */
#define EIMSAGW_IO_E_TIMEOUT -2 /* no answer (after retransmissions) */
#define EIMSAGW_IO_E_REPLY -3	/* answer not understood */
#define EIMSAGW_IO_E_SOCKET -4	/* no socket to the AGW */

/** modparam "agw": one AGW spec (repeatable), kept until mod_init. */
int eimsagw_io_param(modparam_t type, void *val);
int eimsagw_io_init(void);
int eimsagw_io_child_init(int rank);
void eimsagw_io_destroy(void);
int eimsagw_io_count(void);

/**
 * One ng exchange with AGW agw (cookie, retransmissions, timeout); records
 * the outcome in the AGW's health. *rp spans point into a per-process
 * buffer valid until the next exchange in this process.
 */
int eimsagw_io_request(int agw, const eimsagw_ngreq_t *req,
		eimsagw_ngreply_t *rp, const eimsagw_bnode_t **nodes);
/** Choose an AGW for a call (see eimsagw_set_pick). */
int eimsagw_io_pick(epc_span_t key, uint32_t exclude);
int eimsagw_io_usable(int agw);
/** 1 if the AGW answers (health only; it may be disabled for new calls). */
int eimsagw_io_up(int agw);
/** The AGW's spec text as configured ("udp:host:port..."). */
str eimsagw_io_uri(int agw);
/** Copy of the AGW set (for RPC). */
void eimsagw_io_snapshot(eimsagw_set_t *out);
/** Enable/disable; @return 0 or -1 for a bad index */
int eimsagw_io_enable(int agw, int on);
/** Timer process body: pings and the session sweep. */
void eimsagw_io_timer(unsigned int ticks, void *param);

/* --- eimsagw_table_mod.c --- */

int eimsagw_table_init(void);
void eimsagw_table_destroy(void);
/** Bind tm (required) and dialog (optional) and hook their callbacks. */
int eimsagw_table_hooks(void);
int eimsagw_table_count(void);

/**
 * The whole job for one SIP message: event from msg, step the session,
 * ng command with failover, rewrite the SDP. extra: per-call flags (or
 * NULL). @return EIMSAGW_RC_*
 */
int eimsagw_table_message(
		sip_msg_t *msg, const eimsagw_profile_t *extra, int delete_only);

/** Non-SIP event for every session of a call (or one pass if rx_side);
 * fork: the initial INVITE transaction of tm events (0 else); cleanup:
 * count/log as a cleanup (an end the call flow did not bring). */
void eimsagw_table_event(eimsagw_evkind_t kind, str *callid, str *tag,
		str *to_tag, uint64_t fork, int rx_side, int cleanup);
/** Timer: SWEEP every session. */
void eimsagw_table_sweep(int64_t now);

/** Sessions per AGW index into counts[0..n). */
void eimsagw_table_per_agw(int *counts, int n);
/** A copy of sessions for RPC; caller pkg_free()s *out. @return count */
int eimsagw_table_snapshot(
		eimsagw_sess_t **out, int max, const str *callid, int *total);

/** Last error text and AGW of this process's last script call ($eimsagw). */
extern char eimsagw_last_err[256];
extern char eimsagw_last_agw[128];

/* --- eimsagw_rpc_mod.c --- */
int eimsagw_rpc_init(void);

#endif /* EIMSAGW_CTL_MOD_H */
