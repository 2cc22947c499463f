/*
 * Unit tests: modules/eimsagw_ctl/eimsagw_set.c (AGW specs, health, choice)
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>

#include "unit.h"
#include "eimsagw_set.h"

static void test_spec(void **state)
{
	static const struct
	{
		const char *in;
		int rc;
		const char *host;
		int port;
		int weight;
		int disabled;
		int ipv6;
	} v[] = {
			{"udp:127.0.0.1:2223", 0, "127.0.0.1", 2223, 1, 0, 0},
			{"127.0.0.1:2223", 0, "127.0.0.1", 2223, 1, 0, 0},
			{" UDP:agw1.ims.test:22222;weight=5 ", 0, "agw1.ims.test", 22222, 5,
					0, 0},
			{"udp:[::1]:2223;disabled;weight=0", 0, "::1", 2223, 0, 1, 1},
			{"udp:[fe80::1%eth0]:9", 0, "fe80::1%eth0", 9, 1, 0, 1},
			{"udp:127.0.0.1", EIMSAGW_SET_E_SPEC, "", 0, 0, 0, 0},
			{"udp:127.0.0.1:0", EIMSAGW_SET_E_SPEC, "", 0, 0, 0, 0},
			{"udp:127.0.0.1:65536", EIMSAGW_SET_E_SPEC, "", 0, 0, 0, 0},
			{"udp::2223", EIMSAGW_SET_E_SPEC, "", 0, 0, 0, 0},
			{"udp:::1:2223", EIMSAGW_SET_E_SPEC, "", 0, 0, 0, 0},
			{"udp:[::1]2223", EIMSAGW_SET_E_SPEC, "", 0, 0, 0, 0},
			{"udp:[::1", EIMSAGW_SET_E_SPEC, "", 0, 0, 0, 0},
			{"udp:a b:1", EIMSAGW_SET_E_SPEC, "", 0, 0, 0, 0},
			{"udp:h:1;weight=1001", EIMSAGW_SET_E_SPEC, "", 0, 0, 0, 0},
			{"udp:h:1;weight=x", EIMSAGW_SET_E_SPEC, "", 0, 0, 0, 0},
			{"udp:h:1;color=red", EIMSAGW_SET_E_SPEC, "", 0, 0, 0, 0},
			{"udp:"
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			 "aa:1",
					EIMSAGW_SET_E_SPEC, "", 0, 0, 0, 0},
	};
	eimsagw_agw_spec_t sp;
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = eimsagw_agw_spec_parse(S(v[i].in), &sp);
		if(rc != v[i].rc)
			fail_msg("%s: rc %d", v[i].in, rc);
		if(rc)
			continue;
		assert_string_equal(sp.host, v[i].host);
		assert_int_equal(sp.port, v[i].port);
		assert_int_equal(sp.weight, v[i].weight);
		assert_int_equal(sp.disabled, v[i].disabled);
		assert_int_equal(sp.ipv6, v[i].ipv6);
	}
}

static void add(eimsagw_set_t *s, const char *spec)
{
	eimsagw_agw_spec_t sp;

	assert_int_equal(eimsagw_agw_spec_parse(S(spec), &sp), 0);
	assert_true(eimsagw_set_add(s, &sp, S(spec), 100) >= 0);
}

static void test_health(void **state)
{
	eimsagw_set_t s;

	(void)state;
	eimsagw_set_init(&s, 2);
	add(&s, "udp:127.0.0.1:1");
	assert_true(eimsagw_set_usable(&s, 0));
	assert_string_equal(eimsagw_set_state_name(&s, 0), "up");
	/* two consecutive failures mark it down; a success in between resets */
	assert_int_equal(
			eimsagw_set_result(&s, 0, 0, 0, 101), EIMSAGW_SET_NOCHANGE);
	assert_int_equal(
			eimsagw_set_result(&s, 0, 1, 250, 102), EIMSAGW_SET_NOCHANGE);
	assert_int_equal(
			eimsagw_set_result(&s, 0, 0, 0, 103), EIMSAGW_SET_NOCHANGE);
	assert_int_equal(
			eimsagw_set_result(&s, 0, 0, 0, 104), EIMSAGW_SET_WENT_DOWN);
	assert_false(eimsagw_set_usable(&s, 0));
	assert_string_equal(eimsagw_set_state_name(&s, 0), "down");
	assert_true(s.agw[0].since == 104);
	assert_true(s.agw[0].rtt_us == 250);
	assert_true(s.agw[0].timeouts == 3);
	assert_true(s.agw[0].requests == 4);
	assert_int_equal(
			eimsagw_set_result(&s, 0, 0, 0, 105), EIMSAGW_SET_NOCHANGE);
	assert_int_equal(
			eimsagw_set_result(&s, 0, 1, 10, 106), EIMSAGW_SET_WENT_UP);
	assert_true(eimsagw_set_usable(&s, 0));
	/* admin state wins over health */
	eimsagw_set_enable(&s, 0, 0, 107);
	assert_false(eimsagw_set_usable(&s, 0));
	assert_string_equal(eimsagw_set_state_name(&s, 0), "disabled");
	eimsagw_set_enable(&s, 0, 1, 108);
	assert_true(eimsagw_set_usable(&s, 0));
	assert_int_equal(eimsagw_set_result(&s, 5, 1, 0, 1), EIMSAGW_SET_NOCHANGE);
	assert_string_equal(eimsagw_set_state_name(&s, 5), "unknown");
	/* pings: due at once after start, then every interval */
	assert_int_equal(eimsagw_set_ping_due(&s, 0, 200, 5), 1);
	assert_int_equal(eimsagw_set_ping_due(&s, 0, 204, 5), 0);
	assert_int_equal(eimsagw_set_ping_due(&s, 0, 205, 5), 1);
	assert_int_equal(eimsagw_set_ping_due(&s, 3, 205, 5), 0);
}

static void test_full(void **state)
{
	eimsagw_set_t s;
	eimsagw_agw_spec_t sp;
	int i;

	(void)state;
	eimsagw_set_init(&s, 0);
	assert_int_equal(s.down_after, 1);
	assert_int_equal(eimsagw_agw_spec_parse(S("h:1"), &sp), 0);
	for(i = 0; i < EIMSAGW_AGW_MAX; i++)
		assert_int_equal(eimsagw_set_add(&s, &sp, S("h:1"), 0), i);
	assert_int_equal(eimsagw_set_add(&s, &sp, S("h:1"), 0), EIMSAGW_SET_E_FULL);
}

/* Same call -> same AGW; shares follow weights; a dead AGW moves only its
 * own calls; standby (weight 0) only when nothing else is usable. */
static void test_pick(void **state)
{
	eimsagw_set_t s;
	int count[3] = {0, 0, 0};
	int first[2000];
	int i, moved = 0;
	char key[32];

	(void)state;
	eimsagw_set_init(&s, 1);
	add(&s, "udp:10.0.0.1:2223;weight=1");
	add(&s, "udp:10.0.0.2:2223;weight=3");
	add(&s, "udp:10.0.0.3:2223;weight=0");
	for(i = 0; i < 2000; i++) {
		int a, b;
		snprintf(key, sizeof(key),
				"call-%d@x\xff"
				"tag%d",
				i, i * 7);
		a = eimsagw_set_pick(&s, S(key), 0);
		b = eimsagw_set_pick(&s, S(key), 0);
		assert_int_equal(a, b);
		assert_true(a == 0 || a == 1);
		count[a]++;
		first[i] = a;
	}
	/* 1:3 weights: expect ~500/~1500 */
	assert_true(count[0] > 380 && count[0] < 620);
	assert_int_equal(count[2], 0);

	eimsagw_set_result(&s, 1, 0, 0, 1); /* AGW 1 down */
	for(i = 0; i < 2000; i++) {
		int a;
		snprintf(key, sizeof(key),
				"call-%d@x\xff"
				"tag%d",
				i, i * 7);
		a = eimsagw_set_pick(&s, S(key), 0);
		assert_int_equal(a, 0);
		if(first[i] != a)
			moved++;
	}
	assert_int_equal(moved, count[1]); /* only AGW 1's calls moved */

	/* exclusion (already tried), then standby, then nothing */
	assert_int_equal(eimsagw_set_pick(&s, S("k"), 1u << 0), 2);
	eimsagw_set_enable(&s, 2, 0, 2);
	assert_int_equal(eimsagw_set_pick(&s, S("k"), 1u << 0), -1);
	assert_true(
			eimsagw_hash64(S("a"), S("b")) != eimsagw_hash64(S("ab"), S("")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_spec),
			cmocka_unit_test(test_health),
			cmocka_unit_test(test_full),
			cmocka_unit_test(test_pick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
