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
 * eimsagw_ctl: control of the eIMS-AGW (rtpengine ng protocol) for every call leg
 *
 * Kamailio glue only: exports, parameters, script functions, KEMI, PV,
 * counters. The logic lives in the pure core files of this directory
 * (eimsagw_bencode, eimsagw_ng, eimsagw_set, eimsagw_sess); the other
 * *_mod.c files hold the AGW I/O, the session table and the RPC.
 */

#include <string.h>
#include <time.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/pvar.h"
#include "core/kemi.h"
#include "core/counters.h"
#include "core/timer_proc.h"

#include "eimsagw_ctl_mod.h"

MODULE_VERSION

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);
static int w_eimsagw_manage0(sip_msg_t *msg, char *p1, char *p2);
static int w_eimsagw_manage1(sip_msg_t *msg, char *flags, char *p2);
static int w_eimsagw_delete(sip_msg_t *msg, char *p1, char *p2);
static int pv_get_eimsagw(sip_msg_t *msg, pv_param_t *param, pv_value_t *res);
static int pv_parse_eimsagw(pv_spec_t *sp, str *in);
static counter_val_t cnt_active(counter_handle_t h, void *param);

/* Defaults of the four flag profiles (see the README for why each word).
 * Verified with rtpengine 10.5.3.5 and Chromium 156. */
#define DEFAULT_OFFER_TO_IMS                                       \
	"ICE=remove DTLS=off DTLS-reverse=passive "                    \
	"transport-protocol=RTP/AVP rtcp-mux-demux no-rtcp-attribute " \
	"strip-extmap replace-origin replace-session-connection "      \
	"replace-zero-address"
#define DEFAULT_ANSWER_TO_W2                                       \
	"ICE=force DTLS=passive transport-protocol=UDP/TLS/RTP/SAVPF " \
	"rtcp-mux-require SDES-off generate-mid replace-origin "       \
	"replace-session-connection"
#define DEFAULT_OFFER_TO_W2                                            \
	"ICE=force transport-protocol=UDP/TLS/RTP/SAVPF rtcp-mux-require " \
	"SDES-off generate-mid replace-origin replace-session-connection"
#define DEFAULT_ANSWER_TO_IMS                         \
	"ICE=remove DTLS=off transport-protocol=RTP/AVP " \
	"no-rtcp-attribute strip-extmap replace-origin "  \
	"replace-session-connection"

static char *_profile_str[EIMSAGW_P_COUNT] = {DEFAULT_OFFER_TO_IMS,
		DEFAULT_ANSWER_TO_W2, DEFAULT_OFFER_TO_W2, DEFAULT_ANSWER_TO_IMS};

int eimsagw_ng_timeout = 500;
int eimsagw_ng_retries = 2;
int eimsagw_ping_interval = 5;
int eimsagw_down_after = 1;
int eimsagw_delete_delay = 0;
int eimsagw_early_timeout = 300;
int eimsagw_session_lifetime = 0;
int eimsagw_hash_size = 1024;
int eimsagw_max_sessions = 0;
eimsagw_profile_t eimsagw_profiles[EIMSAGW_P_COUNT];
eimsagw_counters_t eimsagw_cnt;

/* clang-format off */
static cmd_export_t cmds[] = {
	{"eimsagw_manage", (cmd_function)w_eimsagw_manage0, 0, 0, 0, ANY_ROUTE},
	{"eimsagw_manage", (cmd_function)w_eimsagw_manage1, 1, fixup_spve_null,
		fixup_free_spve_null, ANY_ROUTE},
	{"eimsagw_delete", (cmd_function)w_eimsagw_delete, 0, 0, 0, ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"agw",              PARAM_STRING | USE_FUNC_PARAM, (void *)eimsagw_io_param},
	{"offer_to_ims",     PARAM_STRING, &_profile_str[EIMSAGW_P_OFFER_TO_IMS]},
	{"answer_to_w2",     PARAM_STRING, &_profile_str[EIMSAGW_P_ANSWER_TO_W2]},
	{"offer_to_w2",      PARAM_STRING, &_profile_str[EIMSAGW_P_OFFER_TO_W2]},
	{"answer_to_ims",    PARAM_STRING, &_profile_str[EIMSAGW_P_ANSWER_TO_IMS]},
	{"ng_timeout",       PARAM_INT, &eimsagw_ng_timeout},
	{"ng_retries",       PARAM_INT, &eimsagw_ng_retries},
	{"ping_interval",    PARAM_INT, &eimsagw_ping_interval},
	{"down_after",       PARAM_INT, &eimsagw_down_after},
	{"delete_delay",     PARAM_INT, &eimsagw_delete_delay},
	{"early_timeout",    PARAM_INT, &eimsagw_early_timeout},
	{"session_lifetime", PARAM_INT, &eimsagw_session_lifetime},
	{"hash_size",        PARAM_INT, &eimsagw_hash_size},
	{"max_sessions",     PARAM_INT, &eimsagw_max_sessions},
	{0, 0, 0}
};

static pv_export_t mod_pvs[] = {
	{{"eimsagw", sizeof("eimsagw") - 1}, PVT_OTHER, pv_get_eimsagw, 0,
		pv_parse_eimsagw, 0, 0, 0},
	{{0, 0}, 0, 0, 0, 0, 0, 0, 0}
};

static counter_def_t counter_defs[] = {
	{&eimsagw_cnt.offers, "offers", 0, 0, 0,
		"SDP offers anchored at an eIMS-AGW"},
	{&eimsagw_cnt.answers, "answers", 0, 0, 0,
		"SDP answers anchored at an eIMS-AGW"},
	{&eimsagw_cnt.deletes, "deletes", 0, 0, 0,
		"calls deleted at an eIMS-AGW"},
	{&eimsagw_cnt.cleanups, "cleanups", 0, 0, 0,
		"media sessions ended without an end in the call flow: dialog "
		"expired or freed, INVITE transaction freed unanswered, timer"},
	{&eimsagw_cnt.ng_timeouts, "ng_timeouts", 0, 0, 0,
		"ng commands an AGW did not answer"},
	{&eimsagw_cnt.ng_errors, "ng_errors", 0, 0, 0,
		"ng commands answered with an error"},
	{&eimsagw_cnt.refused_no_agw, "refused_no_agw", 0, 0, 0,
		"SDP offers refused because no eIMS-AGW was available"},
	{&eimsagw_cnt.sdp_rejected, "sdp_rejected", 0, 0, 0,
		"SDP the eIMS-AGW refused to process"},
	{&eimsagw_cnt.failovers, "failovers", 0, 0, 0,
		"new calls moved to another AGW after a failure"},
	{&eimsagw_cnt.sessions_created, "sessions_created", 0, 0, 0,
		"media sessions created"},
	{0, "sessions_active", 0, cnt_active, 0,
		"media sessions in the table now"},
	{0, 0, 0, 0, 0, 0}
};

struct module_exports exports = {
	"eimsagw_ctl",   /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,            /* exported functions */
	params,          /* exported parameters */
	0,               /* RPC method exports (registered in mod_init) */
	mod_pvs,         /* exported pseudo-variables */
	0,               /* response handling function */
	mod_init,        /* module initialization function */
	child_init,      /* per-child init function */
	mod_destroy      /* module destroy function */
};
/* clang-format on */

int64_t eimsagw_now(void)
{
	return (int64_t)time(NULL);
}

static counter_val_t cnt_active(counter_handle_t h, void *param)
{
	(void)h;
	(void)param;
	return (counter_val_t)eimsagw_table_count();
}

static int check_params(void)
{
	if(eimsagw_ng_timeout < 10 || eimsagw_ng_timeout > 60000) {
		LM_ERR("ng_timeout must be 10..60000 ms (is %d)\n", eimsagw_ng_timeout);
		return -1;
	}
	if(eimsagw_ng_retries < 0 || eimsagw_ng_retries > 10) {
		LM_ERR("ng_retries must be 0..10 (is %d)\n", eimsagw_ng_retries);
		return -1;
	}
	if(eimsagw_ping_interval < 1 || eimsagw_down_after < 1) {
		LM_ERR("ping_interval and down_after must be >= 1\n");
		return -1;
	}
	if(eimsagw_delete_delay < -1 || eimsagw_early_timeout < 0
			|| eimsagw_session_lifetime < 0 || eimsagw_max_sessions < 0
			|| eimsagw_hash_size < 1) {
		LM_ERR("delete_delay >= -1, early_timeout, session_lifetime, "
			   "max_sessions >= 0 and hash_size >= 1 required\n");
		return -1;
	}
	return 0;
}

static int parse_profiles(void)
{
	epc_span_t bad;
	int i, rc;

	for(i = 0; i < EIMSAGW_P_COUNT; i++) {
		rc = eimsagw_profile_parse(
				epc_span_cstr(_profile_str[i]), &eimsagw_profiles[i], &bad);
		if(rc < 0) {
			LM_ERR("modparam %s: %s at '%.*s'\n",
					eimsagw_prof_name((eimsagw_prof_t)i),
					eimsagw_ng_strerror(rc), (int)bad.len, bad.s);
			return -1;
		}
		if(eimsagw_profiles[i].rx_side != EIMSAGW_SIDE_AUTO) {
			LM_ERR("modparam %s: rx-side is only for eimsagw_manage()\n",
					eimsagw_prof_name((eimsagw_prof_t)i));
			return -1;
		}
	}
	return 0;
}

static int mod_init(void)
{
	if(check_params() < 0 || parse_profiles() < 0)
		goto error;
	if(counter_register_array("eimsagw_ctl", counter_defs) < 0) {
		LM_ERR("cannot register counters\n");
		goto error;
	}
	if(eimsagw_io_init() < 0 || eimsagw_table_init() < 0)
		goto error;
	if(eimsagw_table_hooks() < 0 || eimsagw_rpc_init() < 0)
		goto error;
	register_basic_timers(1);
	LM_INFO("eimsagw_ctl %s initialised (%d AGW%s)\n", EPC_VERSION,
			eimsagw_io_count(), eimsagw_io_count() == 1 ? "" : "s");
	return 0;

error:
	eimsagw_table_destroy();
	eimsagw_io_destroy();
	return -1;
}

static int child_init(int rank)
{
	if(rank == PROC_MAIN) {
		if(fork_basic_timer(
				   PROC_TIMER, "EIMSAGW TIMER", 1, eimsagw_io_timer, NULL, 1)
				< 0) {
			LM_ERR("cannot start the eimsagw_ctl timer process\n");
			return -1;
		}
		return 0;
	}
	return eimsagw_io_child_init(rank);
}

static void mod_destroy(void)
{
	eimsagw_table_destroy();
	eimsagw_io_destroy();
}

/* --- script functions --- */

static int ki_eimsagw_manage(sip_msg_t *msg)
{
	return eimsagw_table_message(msg, NULL, 0);
}

static int ki_eimsagw_manage_flags(sip_msg_t *msg, str *flags)
{
	eimsagw_profile_t extra;
	epc_span_t bad;
	int rc;

	rc = eimsagw_profile_parse(
			(epc_span_t){flags->s, flags->len > 0 ? (size_t)flags->len : 0},
			&extra, &bad);
	if(rc < 0) {
		LM_ERR("eimsagw_manage flags: %s at '%.*s'\n", eimsagw_ng_strerror(rc),
				(int)bad.len, bad.s);
		return EIMSAGW_RC_ERROR;
	}
	return eimsagw_table_message(msg, &extra, 0);
}

static int ki_eimsagw_delete(sip_msg_t *msg)
{
	return eimsagw_table_message(msg, NULL, 1);
}

static int w_eimsagw_manage0(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_eimsagw_manage(msg);
}

static int w_eimsagw_manage1(sip_msg_t *msg, char *flags, char *p2)
{
	str f;

	if(fixup_get_svalue(msg, (gparam_t *)flags, &f) < 0) {
		LM_ERR("cannot get the flags parameter\n");
		return EIMSAGW_RC_ERROR;
	}
	return ki_eimsagw_manage_flags(msg, &f);
}

static int w_eimsagw_delete(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_eimsagw_delete(msg);
}

/* --- $eimsagw(err) / $eimsagw(agw) --- */

static int pv_parse_eimsagw(pv_spec_t *sp, str *in)
{
	if(in->len == 3 && strncmp(in->s, "err", 3) == 0)
		sp->pvp.pvn.u.isname.name.n = 0;
	else if(in->len == 3 && strncmp(in->s, "agw", 3) == 0)
		sp->pvp.pvn.u.isname.name.n = 1;
	else {
		LM_ERR("unknown $eimsagw(%.*s): use err or agw\n", in->len, in->s);
		return -1;
	}
	sp->pvp.pvn.type = PV_NAME_INTSTR;
	sp->pvp.pvn.u.isname.type = 0;
	return 0;
}

static int pv_get_eimsagw(sip_msg_t *msg, pv_param_t *param, pv_value_t *res)
{
	char *v = param->pvn.u.isname.name.n == 0 ? eimsagw_last_err
											  : eimsagw_last_agw;

	if(!v[0])
		return pv_get_null(msg, param, res);
	return pv_get_strzval(msg, param, res, v);
}

/* --- KEMI --- */

/* clang-format off */
static sr_kemi_t sr_kemi_eimsagw_ctl_exports[] = {
	{ str_init("eimsagw_ctl"), str_init("eimsagw_manage"),
		SR_KEMIP_INT, ki_eimsagw_manage,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("eimsagw_ctl"), str_init("eimsagw_manage_flags"),
		SR_KEMIP_INT, ki_eimsagw_manage_flags,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("eimsagw_ctl"), str_init("eimsagw_delete"),
		SR_KEMIP_INT, ki_eimsagw_delete,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(sr_kemi_eimsagw_ctl_exports);
	return 0;
}
