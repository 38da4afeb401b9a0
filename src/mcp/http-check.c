#include "mcp/http-check.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "util/text.h"

/* The host part of "host", "host:port", "[v6]" or "[v6]:port"; false when malformed. */
static bool host_part(const char *hostport, char *out, size_t size)
{
	const char *end;
	size_t n;

	if (hostport[0] == '[') {
		end = strchr(hostport, ']');
		if (!end || (end[1] && end[1] != ':'))
			return false;
		hostport++;
	} else {
		end = strchr(hostport, ':');
		if (!end)
			end = hostport + strlen(hostport);
	}
	n = (size_t)(end - hostport);
	if (n == 0 || n >= size)
		return false;
	memcpy(out, hostport, n);
	out[n] = '\0';
	return true;
}

static bool is_loopback_name(const char *host)
{
	return strcasecmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
	       strcmp(host, "::1") == 0;
}

static bool listed(const char *value, char *const *list)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcasecmp(value, list[i]) == 0)
			return true;
	return false;
}

bool http_check_host(const char *host, const struct http_address *addr, char *const *extra)
{
	char name[256];

	if (!host || !host_part(host, name, sizeof name))
		return false;
	if (listed(name, extra) || listed(host, extra))
		return true;
	if (addr->loopback)
		return is_loopback_name(name);
	/* A wildcard bind answers to any name it is reached by; it needs a token anyway. */
	return addr->wildcard || strcasecmp(name, addr->host) == 0;
}

bool http_check_origin(const char *origin, const struct http_address *addr, char *const *extra)
{
	char name[256];
	const char *rest;

	if (!origin)
		return true;
	if (listed(origin, extra))
		return true;
	if (strncmp(origin, "http://", 7) == 0)
		rest = origin + 7;
	else if (strncmp(origin, "https://", 8) == 0)
		rest = origin + 8;
	else
		return false; /* "null" and other schemes */
	if (strchr(rest, '/') || !host_part(rest, name, sizeof name))
		return false;
	if (addr->loopback)
		return is_loopback_name(name);
	return !addr->wildcard && strcasecmp(name, addr->host) == 0;
}

/* Whether one comma-separated entry of Accept names type (or a wildcard covering it). */
static bool accepts(const char *accept, const char *type)
{
	const char *slash = strchr(type, '/');
	size_t major = slash ? (size_t)(slash - type) : strlen(type);

	for (const char *p = accept; p && *p;) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, ";,");
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if ((n == strlen(type) && strncasecmp(p, type, n) == 0) ||
		    (n == 3 && strncmp(p, "*/*", 3) == 0) ||
		    (n == major + 2 && strncasecmp(p, type, major + 1) == 0 && p[major + 1] == '*'))
			return true;
		p = strchr(p, ',');
	}
	return false;
}

bool http_check_accept(const char *accept, const char *const *types)
{
	if (!accept)
		return false;
	for (size_t i = 0; types[i]; i++)
		if (!accepts(accept, types[i]))
			return false;
	return true;
}

bool http_check_json_type(const char *content_type)
{
	static const char json[] = "application/json";
	size_t n;

	if (!content_type)
		return false;
	content_type += strspn(content_type, " \t");
	n = strcspn(content_type, "; \t");
	return n == sizeof json - 1 && strncasecmp(content_type, json, n) == 0;
}

char *http_header_value(const char *raw)
{
	static const char head[] = "=?base64?", tail[] = "?=";
	size_t n;
	char *out;

	if (!raw)
		return NULL;
	raw += strspn(raw, " \t");
	n = strlen(raw);
	while (n && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
		n--;
	if (n >= sizeof head - 1 + sizeof tail - 1 &&
	    strncasecmp(raw, head, sizeof head - 1) == 0 &&
	    memcmp(raw + n - (sizeof tail - 1), tail, sizeof tail - 1) == 0) {
		const char *b64 = raw + sizeof head - 1;
		size_t b64_len = n - (sizeof head - 1) - (sizeof tail - 1), len;
		out = malloc(b64_len + 1);
		if (!out || sodium_base642bin((unsigned char *)out, b64_len, b64, b64_len, NULL,
		                              &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
			free(out);
			return NULL;
		}
		/* Decoded text is compared with the body's: it must be a string without NULs. */
		if (memchr(out, '\0', len)) {
			free(out);
			return NULL;
		}
		out[len] = '\0';
		return out;
	}
	out = malloc(n + 1);
	if (out) {
		memcpy(out, raw, n);
		out[n] = '\0';
	}
	return out;
}

/* What Mcp-Name must say for a method, from its params; NULL when the method names nothing. */
static const json_t *named(const char *method, const json_t *params)
{
	if (strcmp(method, "tools/call") == 0 || strcmp(method, "prompts/get") == 0)
		return json_object_get(params, "name");
	if (strcmp(method, "resources/read") == 0)
		return json_object_get(params, "uri");
	if (strcmp(method, "tasks/get") == 0 || strcmp(method, "tasks/update") == 0 ||
	    strcmp(method, "tasks/cancel") == 0)
		return json_object_get(params, "taskId");
	return NULL;
}

static int mismatch(const char *header, const char *raw, const char *body, json_t **data, char *err,
                    size_t err_size)
{
	if (!raw)
		snprintf(err, err_size, "the %s header is missing", header);
	else
		snprintf(err, err_size, "the %s header does not match the body", header);
	/* The client's bytes may not be UTF-8: they are quoted as text that is. */
	char *value = raw ? text_sanitize(raw, strlen(raw)) : NULL;
	char *expected = body ? text_sanitize(body, strlen(body)) : NULL;
	*data = json_pack("{s:{s:s, s:s?, s:s?}}", "mismatch", "header", header, "value", value,
	                  "body", expected);
	free(value);
	free(expected);
	return -1;
}

static int check_one(const char *header, const char *raw, const char *body, json_t **data,
                     char *err, size_t err_size)
{
	char *value = http_header_value(raw);
	bool same = value && body && strcmp(value, body) == 0;

	free(value);
	return same ? 0 : mismatch(header, raw, body, data, err, err_size);
}

int http_check_modern_headers(const struct http_mcp_headers *h, const char *method,
                              const json_t *params, const char *body_version, json_t **data,
                              char *err, size_t err_size)
{
	const json_t *name = named(method, params);

	*data = NULL;
	if (check_one("MCP-Protocol-Version", h->version, body_version, data, err, err_size) ||
	    check_one("Mcp-Method", h->method, method, data, err, err_size))
		return -1;
	/* The name is mirrored only when the body has one as a string. */
	if (json_is_string(name))
		return check_one("Mcp-Name", h->name, json_string_value(name), data, err, err_size);
	return 0;
}

json_t *http_param_headers(const json_t *tools)
{
	json_t *map = json_object(), *tool;
	size_t i;

	json_array_foreach(tools, i, tool)
	{
		const char *name = json_string_value(json_object_get(tool, "name")), *param;
		json_t *props = json_object_get(json_object_get(tool, "inputSchema"), "properties");
		json_t *prop, *pairs = NULL;

		json_object_foreach(props, param, prop)
		{
			json_t *header = json_object_get(prop, "x-mcp-header");
			if (!name || !json_is_string(header))
				continue;
			if (!pairs)
				pairs = json_array();
			json_array_append_new(pairs, json_pack("[s, O]", param, header));
		}
		if (pairs)
			json_object_set_new(map, name, pairs);
	}
	return map;
}

/* An argument's value as its header carries it; NULL for a type headers cannot carry. */
static char *header_form(const json_t *v)
{
	char *out = NULL;

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v) &&
	    asprintf(&out, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) < 0)
		return NULL;
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "true" : "false");
	return out;
}

int http_check_param_headers(const json_t *mirrored, const json_t *arguments,
                             const char *(*header)(void *ctx, const char *name), void *ctx,
                             json_t **data, char *err, size_t err_size)
{
	json_t *pair;
	size_t i;

	*data = NULL;
	json_array_foreach(mirrored, i, pair)
	{
		const char *param = json_string_value(json_array_get(pair, 0));
		char name[300];
		json_t *arg = json_object_get(arguments, param);
		snprintf(name, sizeof name, "Mcp-Param-%s",
		         json_string_value(json_array_get(pair, 1)));
		const char *raw = header(ctx, name);
		bool given = arg && !json_is_null(arg);
		if (!given && !raw)
			continue;
		char *want = given ? header_form(arg) : NULL, *got = http_header_value(raw);
		bool same = want && got && strcmp(want, got) == 0, undecodable = raw && !got;
		free(got);
		if (!same) {
			int rc = mismatch(name, raw, want, data, err, err_size);
			if (undecodable)
				snprintf(err, err_size, "the %s header cannot be decoded", name);
			free(want);
			return rc;
		}
		free(want);
	}
	return 0;
}
