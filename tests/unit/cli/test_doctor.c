#include "unit.h"

#include <fcntl.h>

#include "cli/doctor.h"

static void test_version_compare(void **state)
{
	(void)state;
	assert_int_equal(doctor_version_compare("codex-cli 0.169.0", "0.153.4"), 1);
	assert_int_equal(doctor_version_compare("0.153.4", "0.153.4"), 0);
	assert_int_equal(doctor_version_compare("codex-cli 0.100.0", "0.153.4"), -1);
	assert_int_equal(doctor_version_compare("0.153.3", "0.153.4"), -1);
	assert_int_equal(doctor_version_compare("1.0", "0.153.4"), 1);
	assert_int_equal(doctor_version_compare("codex-cli", "0.153.4"), -2);
}

/* What doctor_auth_judge() prints, and how many ✘ it counted. */
static char said[4096];

static int judge(const char *config, const char *account, char *const *env)
{
	struct doctor d = {0};
	json_t *c = json_loads(config, 0, NULL), *a = json_loads(account, 0, NULL);
	char path[] = "/var/tmp/codex-mcp-unit-doctor-XXXXXX";
	int fd = mkstemp(path), saved = dup(1);
	ssize_t n;

	assert_non_null(c);
	assert_non_null(a);
	fflush(stdout);
	dup2(fd, 1);
	doctor_auth_judge(&d, c, a, env);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = pread(fd, said, sizeof said - 1, 0);
	said[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	json_decref(c);
	json_decref(a);
	return d.failures;
}

static const char mock[] = "{\"model_provider\": \"mock\", \"model_providers\": {\"mock\": "
                           "{\"base_url\": \"http://127.0.0.1:9/v1\", \"env_key\": \"MOCK_KEY\"}}}";
static const char no_account[] = "{\"account\": null, \"requiresOpenaiAuth\": false}";
static const char needs_login[] = "{\"account\": null, \"requiresOpenaiAuth\": true}";

static void test_custom_provider_key(void **state)
{
	(void)state;
	char *with[] = {"PATH=/bin", "MOCK_KEY=s3cret-value", NULL};
	char *empty[] = {"MOCK_KEY=", NULL};
	char *without[] = {"PATH=/bin", NULL};

	assert_int_equal(judge(mock, no_account, with), 0);
	assert_string_equal(said,
	                    "✔ authentication: the provider \"mock\" (http://127.0.0.1:9/v1), "
	                    "with its key in $MOCK_KEY: set\n");
	assert_null(strstr(said, "s3cret"));
	assert_int_equal(judge(mock, no_account, empty), 1);
	assert_non_null(strstr(said, "$MOCK_KEY: not set\n  fix: set MOCK_KEY"));
	assert_int_equal(judge(mock, no_account, without), 1);
}

static void test_openai_login(void **state)
{
	(void)state;
	char *nothing[] = {"PATH=/bin", NULL};
	char *key[] = {"OPENAI_API_KEY=sk-abcdef", NULL};
	char *codex_key[] = {"CODEX_API_KEY=sk-abcdef", NULL};

	assert_int_equal(judge("{}", needs_login, nothing), 1);
	assert_non_null(strstr(said, "✘ authentication: none: Codex is not logged in"));
	assert_non_null(strstr(said, "  fix: codex login"));
	assert_int_equal(judge("{}", needs_login, key), 0);
	assert_string_equal(said, "✔ authentication: the API key in $OPENAI_API_KEY: set\n");
	assert_int_equal(judge("{}", needs_login, codex_key), 0);
	assert_string_equal(said, "✔ authentication: the API key in $CODEX_API_KEY: set\n");
	assert_int_equal(judge("{}",
	                       "{\"account\": {\"type\": \"chatgpt\", \"email\": \"a@b\"}, "
	                       "\"requiresOpenaiAuth\": true}",
	                       nothing),
	                 0);
	assert_string_equal(said, "✔ authentication: a ChatGPT login (codex login)\n");
	assert_int_equal(
	    judge("{}", "{\"account\": {\"type\": \"apiKey\"}, \"requiresOpenaiAuth\": true}",
	          nothing),
	    0);
	assert_string_equal(said, "✔ authentication: an API key Codex keeps (codex login)\n");
}

static void test_local_provider(void **state)
{
	(void)state;
	char *nothing[] = {NULL};

	assert_int_equal(judge("{\"model_provider\": \"ollama\"}", no_account, nothing), 0);
	assert_string_equal(said,
	                    "✔ authentication: the provider \"ollama\", which needs no login\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version_compare),
	    cmocka_unit_test(test_custom_provider_key),
	    cmocka_unit_test(test_openai_login),
	    cmocka_unit_test(test_local_provider),
	};
	return cmocka_run_group_tests_name("cli/doctor", tests, NULL, NULL);
}
