#include "unit.h"

#include <errno.h>

#include "proc/nesting.h"

static void test_depth_takes_the_larger_sign(void **state)
{
	(void)state;

	assert_int_equal(nesting_depth_from(0, NULL), 0);
	assert_int_equal(nesting_depth_from(2, NULL), 2);
	assert_int_equal(nesting_depth_from(1, "3"), 3);
	assert_int_equal(nesting_depth_from(3, "1"), 3);
	assert_int_equal(nesting_depth_from(0, "0"), 0);
	/* What is not a plain number counts as unset. */
	assert_int_equal(nesting_depth_from(1, ""), 1);
	assert_int_equal(nesting_depth_from(1, "-4"), 1);
	assert_int_equal(nesting_depth_from(1, " 4"), 1);
	assert_int_equal(nesting_depth_from(1, "4x"), 1);
	assert_int_equal(nesting_depth_from(1, "0x10"), 1);
	/* Huge values stay in range: depth + 1 must not wrap. */
	assert_int_equal(nesting_depth_from(0, "99999999999999999999999"), 1000);
	assert_int_equal(nesting_depth_from(4000000000u, NULL), 1000);
}

static void test_check(void **state)
{
	(void)state;
	char err[512] = "untouched";

	assert_int_equal(nesting_check(0, 2, err, sizeof err), 0);
	assert_int_equal(nesting_check(1, 2, err, sizeof err), 0);
	assert_string_equal(err, "untouched");
	/* 0: no limit. */
	assert_int_equal(nesting_check(50, 0, err, sizeof err), 0);

	assert_int_equal(nesting_check(2, 2, err, sizeof err), -EPERM);
	assert_non_null(strstr(err, "nested 2 deep"));
	assert_non_null(strstr(err, "--max-depth 2"));
	assert_non_null(strstr(err, "Do the work yourself"));
	assert_int_equal(nesting_check(3, 1, err, sizeof err), -EPERM);
	assert_non_null(strstr(err, "nested 3 deep"));
	assert_non_null(strstr(err, "--max-depth 1 "));

	/* A short buffer gets a cut message, never an overrun. */
	char tiny[8];
	memset(tiny, 'x', sizeof tiny);
	assert_int_equal(nesting_check(2, 2, tiny, sizeof tiny), -EPERM);
	assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

static void test_depth_of_this_process(void **state)
{
	(void)state;

	/* Kept from the first call, whatever the environment says later. */
	unsetenv(NESTING_ENV);
	assert_int_equal(nesting_depth(), 0);
	setenv(NESTING_ENV, "5", 1);
	assert_int_equal(nesting_depth(), 0);
	unsetenv(NESTING_ENV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_depth_takes_the_larger_sign),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_depth_of_this_process),
	};
	return cmocka_run_group_tests_name("nesting", tests, NULL, NULL);
}
