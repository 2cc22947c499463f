/*
 * Shared includes for the cmocka unit tests.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef EPC_TEST_UNIT_H
#define EPC_TEST_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "epc_span.h"

/* Span over a string literal or C string, for table-driven tests. */
#define S(lit) epc_span_cstr(lit)

#endif
