/*
 * Unit tests: modules/webrtc_origin/worigin_state.c (admission, bindings,
 * per-WWSF counters across reloads, registry versions, listing pages)
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

#include "worigin_state.h"

typedef struct counting
{
	long allocs, frees, budget;
} counting_t;

static void *c_alloc(void *ctx, size_t n)
{
	counting_t *c = ctx;
	if(c->budget >= 0 && c->allocs >= c->budget)
		return NULL;
	c->allocs++;
	return test_malloc(n);
}

static void c_free(void *ctx, void *p)
{
	counting_t *c = ctx;
	c->frees++;
	test_free(p);
}

static counting_t cnt;
static epc_alloc_t alloc = {c_alloc, c_free, &cnt};
static epc_wwsf_schema_t *schema;

static const char *REG1 =
		"<wwsf-registry version=\"1\">"
		"<wwsf id=\"op\"><origin>https://webrtc.op.example</origin>"
		"<origin>https://*.op.example</origin></wwsf>"
		"<wwsf id=\"off\" enabled=\"false\">"
		"<origin>https://off.example</origin></wwsf>"
		"<wwsf id=\"two\" max-connections=\"2\">"
		"<origin>https://two.example:8443</origin></wwsf>"
		"<wwsf id=\"native\"><origin>https://native.example</origin></wwsf>"
		"</wwsf-registry>";

static epc_wwsf_registry_t *reg(const char *xml)
{
	epc_wwsf_load_opts_t o = {"t.xml", NULL, schema};
	epc_wwsf_registry_t *r = NULL;
	char err[EPC_WWSF_ERR_MAX];

	if(epc_wwsf_registry_load_mem(
			   xml, strlen(xml), &o, &alloc, &r, err, sizeof(err))
			!= 0)
		fail_msg("%s", err);
	return r;
}

static int setup(void **state)
{
	char err[EPC_WWSF_ERR_MAX];
	(void)state;
	memset(&cnt, 0, sizeof(cnt));
	cnt.budget = -1;
	return epc_wwsf_schema_new(&schema, err, sizeof(err));
}

static int teardown(void **state)
{
	(void)state;
	epc_wwsf_schema_free(schema);
	/* everything the state allocated came back */
	return cnt.allocs == cnt.frees ? 0 : -1;
}

static int admit(worigin_state_t *st, int conid, const char *origin,
		const char *no_origin, worigin_decision_t *d)
{
	epc_origin_t o;

	if(origin && epc_origin_parse(S(origin), &o) != 0)
		fail_msg("bad test origin %s", origin);
	return worigin_admit(st, conid, origin ? &o : NULL, S(no_origin),
			S("192.0.2.1:5000"), 1000 + conid, d);
}

static const worigin_wstat_t *wstat(worigin_state_t *st, const char *id)
{
	const worigin_wstat_t *w;
	for(w = st->wstats; w; w = w->next) {
		if(strcmp(w->id, id) == 0)
			return w;
	}
	return NULL;
}

static void test_admit(void **state)
{
	worigin_state_t st;
	worigin_decision_t d;
	const worigin_conn_t *c;

	(void)state;
	assert_int_equal(worigin_state_init(&st, &alloc, 100), 0);
	assert_int_equal(st.n_buckets, 128);
	/* nothing published yet */
	assert_int_equal(
			admit(&st, 1, "https://webrtc.op.example", "", &d), WORIGIN_ERROR);
	assert_int_equal(worigin_publish(&st, reg(REG1), 10), 1);

	assert_int_equal(admit(&st, 1, "https://WEBRTC.op.example:443", "", &d),
			WORIGIN_ALLOWED);
	assert_string_equal(d.wwsf, "op");
	assert_string_equal(d.origin, "https://webrtc.op.example");
	assert_int_equal(d.generation, 1);
	c = worigin_conn_find(&st, 1);
	assert_non_null(c);
	assert_string_equal(c->wwsf, "op");
	assert_string_equal(c->remote, "192.0.2.1:5000");
	assert_int_equal(c->since, 1001);

	assert_int_equal(
			admit(&st, 2, "https://a.b.op.example", "", &d), WORIGIN_ALLOWED);
	assert_string_equal(d.wwsf, "op");
	assert_int_equal(
			admit(&st, 3, "https://op.example", "", &d), WORIGIN_NOT_ALLOWED);
	assert_string_equal(d.wwsf, "");
	assert_string_equal(d.origin, "https://op.example");
	assert_int_equal(admit(&st, 3, "http://webrtc.op.example", "", &d),
			WORIGIN_NOT_ALLOWED);
	assert_int_equal(
			admit(&st, 3, "https://off.example", "", &d), WORIGIN_DISABLED);
	assert_string_equal(d.wwsf, "off");
	assert_null(worigin_conn_find(&st, 3));

	/* no Origin: refused unless mapped to an existing WWSF */
	assert_int_equal(admit(&st, 4, NULL, "", &d), WORIGIN_MISSING);
	assert_int_equal(admit(&st, 4, NULL, "nope", &d), WORIGIN_MISSING);
	assert_int_equal(admit(&st, 4, NULL, "native", &d), WORIGIN_ALLOWED);
	assert_string_equal(worigin_conn_find(&st, 4)->origin, "");
	assert_string_equal(worigin_conn_find(&st, 4)->wwsf, "native");

	/* connection cap, freed by a close */
	assert_int_equal(
			admit(&st, 5, "https://two.example:8443", "", &d), WORIGIN_ALLOWED);
	assert_int_equal(
			admit(&st, 6, "https://two.example:8443", "", &d), WORIGIN_ALLOWED);
	assert_int_equal(
			admit(&st, 7, "https://two.example:8443", "", &d), WORIGIN_LIMIT);
	assert_string_equal(d.wwsf, "two");
	/* re-checking a bound connection replaces its binding */
	assert_int_equal(
			admit(&st, 6, "https://two.example:8443", "", &d), WORIGIN_ALLOWED);
	assert_int_equal(wstat(&st, "two")->current, 2);
	assert_int_equal(worigin_conn_remove(&st, 5), 1);
	assert_int_equal(worigin_conn_remove(&st, 5), 0);
	assert_int_equal(
			admit(&st, 7, "https://two.example:8443", "", &d), WORIGIN_ALLOWED);

	assert_int_equal(wstat(&st, "op")->accepted, 2);
	assert_int_equal(wstat(&st, "off")->rejected_disabled, 1);
	assert_int_equal(wstat(&st, "two")->rejected_limit, 1);
	assert_int_equal(wstat(&st, "two")->accepted, 4);
	assert_int_equal(wstat(&st, "two")->current, 2);
	assert_int_equal(st.n_conns, 5);
	worigin_state_destroy(&st);
}

static void test_reload(void **state)
{
	worigin_state_t st;
	worigin_decision_t d;
	worigin_version_t *v1, *v2;

	(void)state;
	assert_int_equal(worigin_state_init(&st, &alloc, 16), 0);
	assert_int_equal(worigin_publish(&st, reg(REG1), 10), 1);
	assert_int_equal(admit(&st, 1, "https://webrtc.op.example", "", &d),
			WORIGIN_ALLOWED);
	assert_int_equal(
			admit(&st, 2, "https://native.example", "", &d), WORIGIN_ALLOWED);
	v1 = worigin_acquire(&st);
	assert_non_null(v1);
	assert_ptr_equal(worigin_version_of(&st, v1->reg), v1);

	/* reload: "op" stays, "native" goes, "late" comes */
	assert_int_equal(worigin_publish(&st,
							 reg("<wwsf-registry version=\"1\">"
								 "<wwsf id=\"op\"><origin>https://"
								 "webrtc.op.example</origin></wwsf>"
								 "<wwsf id=\"late\"><origin>https://"
								 "late.example</origin></wwsf>"
								 "</wwsf-registry>"),
							 20),
			2);
	/* the old version lives on for its reader */
	assert_true(v1->retired);
	assert_ptr_equal(worigin_version_of(&st, v1->reg), v1);
	v2 = worigin_acquire(&st);
	assert_int_equal(v2->generation, 2);
	assert_int_equal(v2->loaded, 20);
	{
		const epc_wwsf_registry_t *r1 = v1->reg;
		worigin_release(&st, v1);
		assert_null(worigin_version_of(&st, r1));
	}
	worigin_release(&st, v2);

	assert_int_equal(
			admit(&st, 3, "https://late.example", "", &d), WORIGIN_ALLOWED);
	assert_int_equal(admit(&st, 4, "https://native.example", "", &d),
			WORIGIN_NOT_ALLOWED);
	/* connections already open stay bound, counters follow the id */
	assert_string_equal(worigin_conn_find(&st, 2)->wwsf, "native");
	assert_int_equal(wstat(&st, "native")->current, 1);
	assert_int_equal(wstat(&st, "op")->accepted, 1);
	assert_int_equal(admit(&st, 5, "https://webrtc.op.example", "", &d),
			WORIGIN_ALLOWED);
	assert_int_equal(wstat(&st, "op")->accepted, 2);
	assert_int_equal(wstat(&st, "op")->current, 2);
	/* the removed WWSF's counters go with its last connection */
	worigin_conn_remove(&st, 2);
	assert_null(wstat(&st, "native"));
	worigin_state_destroy(&st);
}

static void test_identities(void **state)
{
	worigin_state_t st;
	worigin_decision_t d;
	char id[64], big[WORIGIN_ID_MAX + 2];
	int i;

	(void)state;
	assert_int_equal(worigin_state_init(&st, &alloc, 16), 0);
	assert_int_equal(worigin_publish(&st, reg(REG1), 10), 1);
	assert_int_equal(worigin_conn_bind_id(&st, 9, S("sip:a@x")), -1);
	assert_int_equal(worigin_conn_unbind_id(&st, 9, S("")), -1);
	assert_int_equal(admit(&st, 9, "https://webrtc.op.example", "", &d),
			WORIGIN_ALLOWED);
	assert_int_equal(worigin_conn_bind_id(&st, 9, S("sip:a@x")), 1);
	assert_int_equal(worigin_conn_bind_id(&st, 9, S("sip:a@x")), 1);
	assert_int_equal(worigin_conn_find(&st, 9)->n_ids, 1);
	assert_int_equal(worigin_conn_bind_id(&st, 9, S("")), -3);
	memset(big, 'a', sizeof(big));
	assert_int_equal(
			worigin_conn_bind_id(&st, 9, (epc_span_t){big, WORIGIN_ID_MAX + 1}),
			-3);
	assert_int_equal(
			worigin_conn_bind_id(&st, 9, (epc_span_t){"sip:\0x", 6}), -3);
	for(i = 1; i < WORIGIN_MAX_IDS; i++) {
		snprintf(id, sizeof(id), "sip:u%d@x", i);
		assert_int_equal(worigin_conn_bind_id(&st, 9, S(id)), 1);
	}
	assert_int_equal(worigin_conn_bind_id(&st, 9, S("sip:one-more@x")), -2);
	assert_true(worigin_conn_has_id(worigin_conn_find(&st, 9), S("sip:u3@x")));
	assert_false(worigin_conn_has_id(worigin_conn_find(&st, 9), S("sip:u3@")));
	assert_int_equal(worigin_conn_unbind_id(&st, 9, S("sip:u3@x")), 1);
	assert_false(worigin_conn_has_id(worigin_conn_find(&st, 9), S("sip:u3@x")));
	assert_int_equal(worigin_conn_unbind_id(&st, 9, S("sip:u3@x")), 0);
	assert_int_equal(
			worigin_conn_unbind_id(&st, 9, S("")), WORIGIN_MAX_IDS - 1);
	assert_int_equal(worigin_conn_find(&st, 9)->n_ids, 0);
	/* identities go with the binding */
	assert_int_equal(worigin_conn_bind_id(&st, 9, S("sip:a@x")), 1);
	worigin_state_destroy(&st);
}

static void test_filter_and_pages(void **state)
{
	static const struct
	{
		const char *in;
		int rc, field;
		const char *value;
	} fv[] = {
			{"", 0, WORIGIN_FILTER_ALL, ""},
			{" * ", 0, WORIGIN_FILTER_ALL, ""},
			{"all", 0, WORIGIN_FILTER_ALL, ""},
			{"wwsf=op", 0, WORIGIN_FILTER_WWSF, "op"},
			{"WWSF=op", 0, WORIGIN_FILTER_WWSF, "op"},
			{"origin=HTTPS://X.example:443", 0, WORIGIN_FILTER_ORIGIN,
					"https://x.example"},
			{"impu=sip:a@x", 0, WORIGIN_FILTER_IMPU, "sip:a@x"},
			{"conid=42", 0, WORIGIN_FILTER_CONID, ""},
			{"conid=x", -1, 0, NULL},
			{"conid=99999999999", -1, 0, NULL},
			{"origin=null", -1, 0, NULL},
			{"wwsf=", -1, 0, NULL},
			{"wwsf", -1, 0, NULL},
			{"color=red", -1, 0, NULL},
	};
	worigin_state_t st;
	worigin_decision_t d;
	worigin_filter_t f;
	int out[WORIGIN_PAGE_MAX], more, i;
	size_t n, total, k;

	(void)state;
	for(k = 0; k < sizeof(fv) / sizeof(fv[0]); k++) {
		int rc = worigin_filter_parse(S(fv[k].in), &f);
		if(rc != fv[k].rc)
			fail_msg("filter '%s': rc %d", fv[k].in, rc);
		if(rc == 0) {
			assert_int_equal(f.field, fv[k].field);
			assert_string_equal(f.value, fv[k].value);
		}
	}
	assert_int_equal(worigin_filter_parse(S("conid=42"), &f), 0);
	assert_int_equal(f.conid, 42);

	assert_int_equal(worigin_state_init(&st, &alloc, 16), 0);
	assert_int_equal(worigin_publish(&st, reg(REG1), 10), 1);
	/* 300 connections over 16 buckets, conids not in order */
	for(i = 0; i < 300; i++) {
		int conid = (i * 7919) % 1000 + 1;
		assert_int_equal(admit(&st, conid,
								 i % 3 ? "https://webrtc.op.example"
									   : "https://native.example",
								 "", &d),
				WORIGIN_ALLOWED);
	}
	assert_int_equal(worigin_conn_bind_id(&st, 1, S("sip:bob@x")), 1);

	worigin_filter_parse(S(""), &f);
	n = worigin_conns_page(&st, &f, 0, out, 7, &total, &more);
	assert_int_equal(n, 7);
	assert_int_equal(total, 300);
	assert_true(more);
	for(k = 1; k < n; k++)
		assert_true(out[k - 1] < out[k]);
	/* walking the pages visits each binding once */
	{
		int after = 0, seen = 0, last = 0;
		do {
			n = worigin_conns_page(&st, &f, after, out, 64, &total, &more);
			for(k = 0; k < n; k++) {
				assert_true(out[k] > last);
				last = out[k];
				assert_non_null(worigin_conn_find(&st, out[k]));
			}
			seen += (int)n;
			after = n ? out[n - 1] : after;
		} while(more);
		assert_int_equal(seen, 300);
	}
	worigin_filter_parse(S("wwsf=native"), &f);
	worigin_conns_page(&st, &f, 0, out, WORIGIN_PAGE_MAX, &total, &more);
	assert_int_equal(total, 100);
	assert_false(more);
	worigin_filter_parse(S("impu=sip:bob@x"), &f);
	n = worigin_conns_page(&st, &f, 0, out, 10, &total, &more);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 1);
	worigin_filter_parse(S("origin=https://native.example"), &f);
	n = worigin_conns_page(&st, &f, 0, out, 0, &total, &more);
	assert_int_equal(n, 0);
	assert_int_equal(total, 100);
	assert_true(more);
	n = worigin_conns_all(&st, out, WORIGIN_PAGE_MAX);
	assert_int_equal(n, 300);
	n = worigin_conns_all(&st, out, 5);
	assert_int_equal(n, 5);
	worigin_state_destroy(&st);
}

/* every allocation failure is reported and leaves the state usable */
static void test_alloc_failures(void **state)
{
	worigin_state_t st;
	worigin_decision_t d;
	epc_wwsf_registry_t *r;
	long b;
	int rc;

	(void)state;
	cnt.budget = 0;
	assert_int_equal(worigin_state_init(&st, &alloc, 16), -1);
	cnt.budget = -1;
	assert_int_equal(worigin_state_init(&st, &alloc, 16), 0);
	for(b = 0;; b++) {
		r = reg(REG1);
		cnt.budget = cnt.allocs + b;
		rc = (int)worigin_publish(&st, r, 1);
		cnt.budget = -1;
		if(rc > 0)
			break;
		assert_int_equal(rc, -1);
		assert_null(st.versions);
		epc_wwsf_registry_free(r, &alloc);
	}
	assert_true(b > 2);
	cnt.budget = cnt.allocs;
	assert_int_equal(
			admit(&st, 1, "https://webrtc.op.example", "", &d), WORIGIN_ERROR);
	assert_int_equal(wstat(&st, "op")->current, 0);
	cnt.budget = -1;
	assert_int_equal(admit(&st, 1, "https://webrtc.op.example", "", &d),
			WORIGIN_ALLOWED);
	cnt.budget = cnt.allocs;
	assert_int_equal(worigin_conn_bind_id(&st, 1, S("sip:a@x")), -4);
	cnt.budget = -1;
	worigin_state_destroy(&st);
	assert_string_equal(worigin_result_str(WORIGIN_LIMIT), "connection limit");
	assert_string_equal(worigin_result_str(0), "internal error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_admit),
			cmocka_unit_test(test_reload),
			cmocka_unit_test(test_identities),
			cmocka_unit_test(test_filter_and_pages),
			cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
