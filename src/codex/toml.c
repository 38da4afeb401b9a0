#include "codex/toml.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
	char *data;
	size_t len, cap;
	int failed;
};

static void put(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d) {
			b->failed = 1;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void puts_(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_string(struct sbuf *b, const char *s, size_t n)
{
	puts_(b, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		switch (c) {
		case '"':
			puts_(b, "\\\"");
			break;
		case '\\':
			puts_(b, "\\\\");
			break;
		case '\n':
			puts_(b, "\\n");
			break;
		case '\t':
			puts_(b, "\\t");
			break;
		case '\r':
			puts_(b, "\\r");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(esc, sizeof esc, "\\u%04X", c);
				puts_(b, esc);
			} else {
				put(b, (const char *)&s[i], 1);
			}
		}
	}
	puts_(b, "\"");
}

static int is_bare_key(const char *k)
{
	if (!*k)
		return 0;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-')
			return 0;
	return 1;
}

static int put_value(struct sbuf *b, const json_t *v, const char **why)
{
	char num[64];
	size_t i;
	const char *key;
	json_t *item;

	switch (json_typeof(v)) {
	case JSON_STRING:
		put_string(b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		puts_(b, num);
		return 0;
	case JSON_REAL:
		snprintf(num, sizeof num, "%.17g", json_real_value(v));
		/* TOML floats need a fraction or an exponent. */
		if (!strpbrk(num, ".eE"))
			strcat(num, ".0");
		puts_(b, num);
		return 0;
	case JSON_TRUE:
		puts_(b, "true");
		return 0;
	case JSON_FALSE:
		puts_(b, "false");
		return 0;
	case JSON_ARRAY:
		puts_(b, "[");
		json_array_foreach(v, i, item)
		{
			if (i)
				puts_(b, ", ");
			if (put_value(b, item, why))
				return -1;
		}
		puts_(b, "]");
		return 0;
	case JSON_OBJECT: {
		int first = 1;
		puts_(b, "{");
		json_object_foreach((json_t *)v, key, item)
		{
			puts_(b, first ? "" : ", ");
			first = 0;
			if (is_bare_key(key))
				puts_(b, key);
			else
				put_string(b, key, strlen(key));
			puts_(b, " = ");
			if (put_value(b, item, why))
				return -1;
		}
		puts_(b, "}");
		return 0;
	}
	case JSON_NULL:
	default:
		*why = "null has no TOML form";
		return -1;
	}
}

char *toml_value(const json_t *v, const char **why)
{
	struct sbuf b = {0};

	if (put_value(&b, v, why) != 0 || b.failed) {
		if (b.failed)
			*why = "out of memory";
		free(b.data);
		return NULL;
	}
	return b.data;
}

struct flat {
	char **list;
	int n;
	char *err;
	size_t err_size;
};

static int valid_key(const char *k)
{
	if (!*k)
		return 0;
	for (; *k; k++)
		if (*k == '=' || isspace((unsigned char)*k) || iscntrl((unsigned char)*k))
			return 0;
	return 1;
}

static int flatten(struct flat *f, const char *prefix, const json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		char path[1024];
		const char *why = NULL;

		if (!valid_key(key)) {
			snprintf(f->err, f->err_size,
			         "config: key \"%.200s\" is not a valid config key", key);
			return -1;
		}
		if (snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", key) >=
		    (int)sizeof path) {
			snprintf(f->err, f->err_size, "config: key \"%.200s\" is too long", key);
			return -1;
		}
		if (json_is_object(v) && json_object_size(v) > 0) {
			if (flatten(f, path, v))
				return -1;
			continue;
		}
		char *value = toml_value(v, &why);
		if (!value) {
			snprintf(f->err, f->err_size, "config: \"%s\": %s", path, why);
			return -1;
		}
		char **list = realloc(f->list, (size_t)(f->n + 1) * sizeof *list);
		char *entry = malloc(strlen(path) + strlen(value) + 2);
		if (!list || !entry) {
			if (list)
				f->list = list;
			free(entry);
			free(value);
			snprintf(f->err, f->err_size, "out of memory");
			return -1;
		}
		sprintf(entry, "%s=%s", path, value);
		free(value);
		f->list = list;
		f->list[f->n++] = entry;
	}
	return 0;
}

int toml_overrides(const json_t *config, char ***out, char *err, size_t err_size)
{
	struct flat f = {.err = err, .err_size = err_size};

	*out = NULL;
	if (!config)
		return 0;
	if (flatten(&f, "", config) != 0) {
		toml_overrides_free(f.list, f.n);
		return -1;
	}
	*out = f.list;
	return f.n;
}

void toml_overrides_free(char **list, int n)
{
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}
