/* doctor: which credentials Codex will send, judged from what it says of its config. */
#include <stdlib.h>
#include <string.h>

#include "cli/doctor.h"

/* Whether the environment Codex gets (env, or ours when NULL) gives name a value. */
static bool env_set(char *const *env, const char *name)
{
	size_t n = strlen(name);

	if (!env) {
		const char *v = getenv(name);
		return v && *v;
	}
	for (; *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=' && (*env)[n + 1])
			return true;
	return false;
}

/* A provider of config.toml's [model_providers]: its key, said set or not, never shown. */
static bool judge_provider(struct doctor *d, const char *name, const json_t *p, char *const *env)
{
	const char *key = json_string_value(json_object_get(p, "env_key"));
	const char *url = json_string_value(json_object_get(p, "base_url"));
	bool set = key && env_set(env, key);

	if (!key) {
		doctor_say(d, true,
		           "authentication: the provider \"%s\" (%s), which asks for no key", name,
		           url ? url : "no base_url");
		return true;
	}
	doctor_say(d, set, "authentication: the provider \"%s\" (%s), with its key in $%s: %s",
	           name, url ? url : "no base_url", key, set ? "set" : "not set");
	if (!set)
		doctor_fix(d, "set %s in the server's environment, or pass --env %s=...", key, key);
	return set;
}

void doctor_auth_judge(struct doctor *d, const json_t *config, const json_t *account,
                       char *const *env)
{
	const char *name = json_string_value(json_object_get(config, "model_provider"));
	json_t *provider =
	    json_object_get(json_object_get(config, "model_providers"), name ? name : "openai");
	json_t *acct = json_object_get(account, "account");
	const char *type = json_string_value(json_object_get(acct, "type"));

	if (json_is_object(provider) && !judge_provider(d, name ? name : "openai", provider, env))
		return;
	/* A provider of its own, or one of Codex's local ones, needs no OpenAI login. */
	if (!json_is_true(json_object_get(account, "requiresOpenaiAuth"))) {
		if (!json_is_object(provider))
			doctor_say(d, true,
			           "authentication: the provider \"%s\", which needs no login",
			           name ? name : "openai");
		return;
	}
	if (type && strcmp(type, "chatgpt") == 0)
		doctor_say(d, true, "authentication: a ChatGPT login (codex login)");
	else if (type && strcmp(type, "apiKey") == 0)
		doctor_say(d, true, "authentication: an API key Codex keeps (codex login)");
	else if (type)
		doctor_say(d, true, "authentication: a %s account", type);
	else if (env_set(env, "CODEX_API_KEY") || env_set(env, "OPENAI_API_KEY"))
		doctor_say(d, true, "authentication: the API key in $%s: set",
		           env_set(env, "CODEX_API_KEY") ? "CODEX_API_KEY" : "OPENAI_API_KEY");
	else {
		doctor_say(d, false,
		           "authentication: none: Codex is not logged in, and neither "
		           "OPENAI_API_KEY nor CODEX_API_KEY is set");
		doctor_fix(
		    d, "codex login (with the server's CODEX_HOME), or set OPENAI_API_KEY in the "
		       "server's environment");
	}
}
