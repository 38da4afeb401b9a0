#include "redact.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define MASK "[redacted]"

static char **secrets;
static size_t n_secrets;

void redact_add(const char *secret)
{
	char **grown;

	if (!secret || strlen(secret) < 4)
		return;
	grown = realloc(secrets, (n_secrets + 1) * sizeof *secrets);
	if (!grown)
		return;
	secrets = grown;
	secrets[n_secrets] = strdup(secret);
	if (secrets[n_secrets])
		n_secrets++;
}

void redact_clear(void)
{
	for (size_t i = 0; i < n_secrets; i++)
		free(secrets[i]);
	free(secrets);
	secrets = NULL;
	n_secrets = 0;
}

static char *replace_all(char *text, const char *secret)
{
	size_t slen = strlen(secret), mlen = strlen(MASK), count = 0;
	char *p, *out, *o;

	for (p = strstr(text, secret); p; p = strstr(p + slen, secret))
		count++;
	if (count == 0)
		return text;
	out = malloc(strlen(text) + count * mlen + 1);
	if (!out) {
		/* Better to lose the text than to leak the secret. */
		free(text);
		return strdup(MASK);
	}
	o = out;
	for (const char *s = text; (p = strstr(s, secret)); s = p + slen) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		memcpy(o, MASK, mlen);
		o += mlen;
		strcpy(o, p + slen);
	}
	free(text);
	return out;
}

bool redact_active(void)
{
	return n_secrets > 0;
}

char *redact(const char *text)
{
	char *out = strdup(text ? text : "");

	for (size_t i = 0; out && i < n_secrets; i++)
		out = replace_all(out, secrets[i]);
	return out;
}

json_t *redact_json(const json_t *value)
{
	json_t *copy;
	const char *key;
	json_t *item;
	size_t i;

	switch (json_typeof(value)) {
	case JSON_STRING: {
		if (n_secrets == 0)
			return json_incref((json_t *)value);
		char *masked = redact(json_string_value(value));
		copy = masked ? json_string(masked) : json_string("[redacted]");
		free(masked);
		return copy;
	}
	case JSON_OBJECT:
		copy = json_object();
		json_object_foreach((json_t *)value, key, item)
		{
			/* A secret can hide in a key as well as in a value. */
			char *masked = n_secrets ? redact(key) : NULL;
			json_object_set_new(copy, masked ? masked : key, redact_json(item));
			free(masked);
		}
		return copy;
	case JSON_ARRAY:
		copy = json_array();
		json_array_foreach(value, i, item)
		{
			json_array_append_new(copy, redact_json(item));
		}
		return copy;
	default:
		return json_incref((json_t *)value);
	}
}
