#include "util/redact.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define MASK "[redacted]"

/* A secret and its KMP failure table, so that finding it is linear in the text. */
struct secret {
	char *text;
	size_t len;
	size_t *fail; /* fail[i]: longest proper border of text[0..i] */
};

static struct secret *secrets;
static size_t n_secrets;
/* The store's thread logs too: secrets are added on the loop while it may be masking. */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
/* n_secrets, for redact_active(), asked for every line of Codex's: no lock to read it. */
static atomic_size_t active;

static void add_one(const char *secret)
{
	struct secret *grown, s;

	if (!secret || strlen(secret) < 4)
		return;
	s.len = strlen(secret);
	s.text = strdup(secret);
	s.fail = malloc(s.len * sizeof *s.fail);
	grown = s.text && s.fail ? realloc(secrets, (n_secrets + 1) * sizeof *secrets) : NULL;
	if (!grown) {
		free(s.text);
		free(s.fail);
		return;
	}
	secrets = grown;
	s.fail[0] = 0;
	for (size_t i = 1, k = 0; i < s.len; i++) {
		while (k > 0 && s.text[i] != s.text[k])
			k = s.fail[k - 1];
		if (s.text[i] == s.text[k])
			k++;
		s.fail[i] = k;
	}
	secrets[n_secrets++] = s;
	atomic_store(&active, n_secrets);
}

void redact_add(const char *secret)
{
	json_t *s;
	char *quoted;

	if (!secret)
		return;
	pthread_rwlock_wrlock(&lock);
	add_one(secret);
	/* Codex's lines are masked before they are parsed, where a secret with '"', '\\' or
	 * a control character is spelled escaped: mask that spelling too. */
	s = json_string(secret);
	quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
	json_decref(s);
	if (quoted && strlen(quoted) >= 2 && strlen(quoted) - 2 != strlen(secret)) {
		quoted[strlen(quoted) - 1] = '\0';
		add_one(quoted + 1);
		/* jansson writes "\u001B" where Codex (serde_json) writes "\u001b". */
		bool upper = false;
		for (char *p = quoted + 1; *p; p++) {
			if (*p != '\\')
				continue;
			if (p[1] == 'u')
				for (int i = 2; i < 6 && p[i]; i++)
					if (p[i] >= 'A' && p[i] <= 'F') {
						p[i] = (char)(p[i] - 'A' + 'a');
						upper = true;
					}
			p++; /* the escaped character, a '\\' included */
		}
		if (upper)
			add_one(quoted + 1);
	}
	pthread_rwlock_unlock(&lock);
	free(quoted);
}

void redact_clear(void)
{
	pthread_rwlock_wrlock(&lock);
	for (size_t i = 0; i < n_secrets; i++) {
		free(secrets[i].text);
		free(secrets[i].fail);
	}
	free(secrets);
	secrets = NULL;
	n_secrets = 0;
	atomic_store(&active, 0);
	pthread_rwlock_unlock(&lock);
}

bool redact_active(void)
{
	/* As with the lock, a secret added by another thread at this moment may be missed. */
	return atomic_load(&active) > 0;
}

enum { COVERED = 1, JOINED = 2 }; /* JOINED: one occurrence covers this byte and the one before */

/*
 * Marks every byte of every occurrence of s in text, overlapping ones
 * included. Occurrences come in order, so each byte is marked once per
 * secret: linear in the text.
 */
static size_t mark(const struct secret *s, const char *text, size_t n, unsigned char *marks)
{
	size_t found = 0, covered_to = 0, joined_to = 0;

	for (size_t i = 0, k = 0; i < n; i++) {
		while (k > 0 && text[i] != s->text[k])
			k = s->fail[k - 1];
		if (text[i] == s->text[k])
			k++;
		if (k < s->len)
			continue;
		size_t start = i + 1 - s->len, end = i + 1;
		for (size_t j = start > covered_to ? start : covered_to; j < end; j++)
			marks[j] |= COVERED;
		for (size_t j = start + 1 > joined_to ? start + 1 : joined_to; j < end; j++)
			marks[j] |= JOINED;
		covered_to = joined_to = end;
		found++;
		k = s->fail[k - 1];
	}
	return found;
}

/*
 * Every byte that belongs to an occurrence of any secret is masked, whatever
 * order the secrets came in and however they overlap: a secret that contains
 * another, or overlaps it, leaves no part of itself behind. Occurrences that
 * overlap become one mask.
 */
static char *redact_locked(const char *text);

char *redact(const char *text)
{
	char *out;

	pthread_rwlock_rdlock(&lock);
	out = redact_locked(text);
	pthread_rwlock_unlock(&lock);
	return out;
}

static char *redact_locked(const char *text)
{
	size_t n, found = 0, out_len, mlen = strlen(MASK);
	unsigned char *marks;
	char *out, *o;

	if (!text)
		text = "";
	n = strlen(text);
	if (n_secrets == 0)
		return strdup(text);
	marks = calloc(n ? n : 1, 1);
	if (!marks)
		return strdup(MASK); /* better to lose the text than to leak a secret */
	for (size_t i = 0; i < n_secrets; i++)
		found += mark(&secrets[i], text, n, marks);
	if (found == 0) {
		free(marks);
		return strdup(text);
	}
	out_len = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(marks[i] & COVERED))
			out_len++;
		else if (i == 0 || !(marks[i - 1] & COVERED) || !(marks[i] & JOINED))
			out_len += mlen;
	}
	out = malloc(out_len + 1);
	if (!out) {
		free(marks);
		return strdup(MASK);
	}
	o = out;
	for (size_t i = 0; i < n; i++) {
		if (!(marks[i] & COVERED)) {
			*o++ = text[i];
		} else if (i == 0 || !(marks[i - 1] & COVERED) || !(marks[i] & JOINED)) {
			memcpy(o, MASK, mlen);
			o += mlen;
		}
	}
	*o = '\0';
	free(marks);
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
		if (!redact_active())
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
			char *masked = redact_active() ? redact(key) : NULL;
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
