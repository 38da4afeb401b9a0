/*
 * The dashboard's routes: the page and its files, the event stream, the JSON API
 * and its actions.
 *
 * Who may look: the same authenticator as /mcp, asked about the same bearer
 * token. A browser cannot put an Authorization header on a page load or an
 * EventSource, so the page's login form posts the token once, and it comes back
 * as a cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's
 * page sends it), Path=/. Every request then checks it like a bearer token, so a
 * token taken out of the file, or an expired JWT, stops working at once. /mcp
 * never reads the cookie. Clients that can set headers send Authorization.
 *
 * Actions (POST) also need: an Origin that is this server's or absent (the
 * transport refuses others with 403 before we see them), and an X-CSRF-Token
 * header, an HMAC of the caller's subject under a key made at start, which only
 * a page that could read /dashboard/api/session knows. A custom header also
 * means no plain cross-site form can post.
 */
#include "dashboard/dashboard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "dashboard/assets.h"
#include "http/auth.h"
#include "mcp/http-check.h"
#include "util/log.h"

#define COOKIE_NAME "codex_mcp_token"
#define CSRF_HEADER "X-CSRF-Token"
#define CSRF_BYTES 16

/* One event stream, /dashboard/events. */
struct client {
	struct dashboard *d;
	struct http_stream *st; /* NULL once closed */
	char subject[HTTP_AUTH_SUBJECT_MAX];
	struct ticket *overview; /* its first event, on its way */
	struct client *next;
};

/* An answer the application gives, maybe later than the request's handler returns. */
struct ticket {
	struct dashboard *d;
	struct http_exchange *x; /* while the handler runs */
	struct http_stream *st;  /* once the answer waits */
	bool event;              /* it is an event stream's first event, instead */
	struct client *client;   /* that stream, while open */
	bool in_handler, done, gone;
};

struct dashboard {
	struct dashboard_config cfg;
	unsigned char csrf_key[crypto_auth_hmacsha256_KEYBYTES];
	struct client *clients;
	uv_timer_t *tick; /* keep-alives */
	bool stopping;
};

/* What every answer of ours carries: no caching, no framing, nothing from elsewhere. */
static const char *const page_headers[] = {
    "Cache-Control",
    "no-store",
    "X-Content-Type-Options",
    "nosniff",
    "X-Frame-Options",
    "DENY",
    "Referrer-Policy",
    "same-origin", /* not no-referrer: then a form post says "Origin: null" */
    "Content-Security-Policy",
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'",
    NULL,
};
#define N_PAGE_HEADERS (sizeof page_headers / sizeof page_headers[0] - 1)

/* page_headers, then the pairs in extra (NULL-terminated), into out. */
static void with_headers(const char **out, size_t size, const char *const *extra)
{
	size_t n = 0;

	for (size_t i = 0; page_headers[i] && n + 1 < size; i++)
		out[n++] = page_headers[i];
	for (size_t i = 0; extra && extra[i] && extra[i + 1] && n + 2 < size; i += 2) {
		out[n++] = extra[i];
		out[n++] = extra[i + 1];
	}
	out[n] = NULL;
}

static void respond(struct http_exchange *x, unsigned status, const char *type, const char *body,
                    size_t len, const char *const *extra)
{
	const char *headers[N_PAGE_HEADERS + 9];

	with_headers(headers, sizeof headers / sizeof headers[0], extra);
	http_respond(x, status, type, body, len, headers);
}

static void respond_json(struct http_exchange *x, unsigned status, json_t *body /* stolen */,
                         const char *const *extra)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (!text)
		respond(x, 500, "application/json", "{\"error\":\"out of memory\"}", 25, extra);
	else
		respond(x, status, "application/json", text, strlen(text), extra);
	free(text);
}

static void respond_error(struct http_exchange *x, unsigned status, const char *why,
                          const char *const *extra)
{
	respond_json(x, status, json_pack("{s:s}", "error", why), extra);
}

static const struct dashboard_asset *asset(const char *name)
{
	for (const struct dashboard_asset *a = dashboard_assets; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

static void serve_asset(struct http_exchange *x, const char *name)
{
	const struct dashboard_asset *a = asset(name);

	if (!a)
		respond_error(x, 404, "not found", NULL);
	else
		respond(x, 200, a->type, (const char *)a->data, a->len, NULL);
}

/* The login page, with a line saying why it shows; 401 with the authenticator's challenge. */
static void serve_login(struct http_exchange *x, const char *challenge, const char *note)
{
	const struct dashboard_asset *a = asset("login.html");
	static const char mark[] = "<!--note-->";
	const char *headers[] = {"WWW-Authenticate", challenge, NULL};
	const char *at = a ? memmem(a->data, a->len, mark, sizeof mark - 1) : NULL;
	char *page = NULL;
	int n;

	if (!at) {
		respond_error(x, 401, "unauthorized: a bearer token is needed", headers);
		return;
	}
	n = asprintf(&page, "%.*s<p class=\"note\">%s</p>%s", (int)(at - (const char *)a->data),
	             (const char *)a->data, note,
	             at + sizeof mark - 1); /* note is ours, never the client's */
	if (n < 0)
		respond_error(x, 401, "unauthorized: a bearer token is needed", headers);
	else
		respond(x, 401, a->type, page, (size_t)n, headers);
	free(page);
}

/* ---- who asks ---- */

/* The token the cookie holds (base64url, so any token fits a cookie), into out. */
static bool cookie_token(const char *cookies, char *out, size_t size)
{
	static const char name[] = COOKIE_NAME "=";
	size_t len;

	for (const char *p = cookies; p && *p;) {
		p += strspn(p, " ;");
		size_t n = strcspn(p, ";");
		if (n > sizeof name - 1 && strncmp(p, name, sizeof name - 1) == 0) {
			const char *v = p + sizeof name - 1;
			return sodium_base642bin((unsigned char *)out, size - 1, v,
			                         n - (sizeof name - 1), NULL, &len, NULL,
			                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
			       !memchr(out, '\0', len) && (out[len] = '\0', true);
		}
		p += n;
	}
	return false;
}

/* Asks the authenticator about "Bearer token"; NULL token: the request's own credentials. */
static enum http_auth_verdict check(struct dashboard *d, const char *authorization, char *subject,
                                    char *challenge, size_t challenge_size)
{
	char why[256];
	enum http_auth_verdict v;

	subject[0] = '\0';
	if (!d->cfg.auth.auth)
		return HTTP_AUTH_OK;
	v = d->cfg.auth.check(d->cfg.auth.auth, authorization, subject, HTTP_AUTH_SUBJECT_MAX,
	                      challenge, challenge_size, why, sizeof why);
	if (v != HTTP_AUTH_OK)
		log_info("dashboard: refused: %s", why);
	return v;
}

/*
 * Whether the request may go on, and as whom; when not, it is answered 401 (the
 * login page for a page load) or 403, with the challenge /mcp would send.
 */
static bool authorized(struct dashboard *d, struct http_exchange *x, bool page, char *subject)
{
	char challenge[HTTP_AUTH_CHALLENGE_MAX], bearer[HTTP_AUTH_TOKEN_MAX + 16];
	char token[HTTP_AUTH_TOKEN_MAX + 1];
	const char *authorization = http_header(x, "Authorization");
	const char *headers[] = {"WWW-Authenticate", challenge, NULL};

	if (!authorization && cookie_token(http_header(x, "Cookie"), token, sizeof token)) {
		snprintf(bearer, sizeof bearer, "Bearer %s", token);
		authorization = bearer;
	}
	enum http_auth_verdict v = check(d, authorization, subject, challenge, sizeof challenge);
	sodium_memzero(token, sizeof token);
	sodium_memzero(bearer, sizeof bearer);
	if (v == HTTP_AUTH_OK)
		return true;
	if (v == HTTP_AUTH_FORBIDDEN)
		respond_error(x, 403, "insufficient scope", headers);
	else if (page)
		serve_login(x, challenge, authorization ? "That token was refused." : "");
	else
		respond_error(x, 401, "unauthorized: a bearer token is needed", headers);
	return false;
}

static void csrf_token(const struct dashboard *d, const char *subject, char out[2 * CSRF_BYTES + 1])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256(mac, (const unsigned char *)subject, strlen(subject), d->csrf_key);
	sodium_bin2hex(out, 2 * CSRF_BYTES + 1, mac, CSRF_BYTES);
}

/* An action needs the subject's CSRF token in its header: else 403. */
static bool csrf_ok(struct dashboard *d, struct http_exchange *x, const char *subject)
{
	char want[2 * CSRF_BYTES + 1];
	const char *got = http_header(x, CSRF_HEADER);

	csrf_token(d, subject, want);
	if (got && strlen(got) == sizeof want - 1 && sodium_memcmp(got, want, sizeof want - 1) == 0)
		return true;
	respond_error(x, 403, "forbidden: the " CSRF_HEADER " header is missing or wrong", NULL);
	return false;
}

/* ---- answers from the application ---- */

static void ticket_closed(void *data, bool done)
{
	struct ticket *t = data;

	(void)done;
	t->st = NULL;
	if (t->done)
		free(t);
	else
		t->gone = true; /* the answer still comes, and frees it */
}

static void write_event(struct client *c, const char *event, const char *json)
{
	char *text = NULL;
	int n = asprintf(&text, "event: %s\ndata: %s\n\n", event, json);

	/* Past --http-max-backlog unread, the stream is cut: a slow page costs us no more. */
	if (n > 0 && c->st && http_stream_write(c->st, text, (size_t)n) == -ENOBUFS)
		log_info("dashboard: an event stream stopped reading; cut off");
	free(text);
}

static void on_reply(void *data, unsigned status, json_t *body)
{
	struct ticket *t = data;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	t->done = true;
	if (t->event) {
		/* An event stream's overview: sent, unless the page left meanwhile. */
		if (t->client && text && t->client->st)
			write_event(t->client, "overview", text);
		if (t->client)
			t->client->overview = NULL;
		free(t);
	} else if (t->in_handler) {
		respond_json(t->x, status, json_incref(body), NULL);
	} else if (t->st) {
		/* The status went out already: an error travels in the body. */
		if (text)
			http_stream_write(t->st, text, strlen(text));
		http_stream_end(t->st);
	} else if (t->gone) {
		free(t);
	}
	free(text);
	json_decref(body);
}

/* Starts op on a new ticket; the answer is given now, or streamed once it comes. */
static struct ticket *ticket_begin(struct dashboard *d, struct http_exchange *x)
{
	struct ticket *t = calloc(1, sizeof *t);

	if (!t) {
		respond_error(x, 503, "out of memory", NULL);
		return NULL;
	}
	t->d = d;
	t->x = x;
	t->in_handler = true;
	return t;
}

static void ticket_end(struct ticket *t)
{
	const char *headers[N_PAGE_HEADERS + 1];

	t->in_handler = false;
	if (t->done) {
		free(t);
		return;
	}
	with_headers(headers, sizeof headers / sizeof headers[0], NULL);
	t->st = http_respond_stream(t->x, 200, "application/json", headers, ticket_closed, t);
	if (!t->st) {
		respond_error(t->x, 500, "cannot answer", NULL);
		t->gone = true;
	}
	t->x = NULL;
}

/* ---- the event stream ---- */

static void client_closed(void *data, bool done)
{
	struct client *c = data;
	struct dashboard *d = c->d;

	(void)done;
	for (struct client **p = &d->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	if (c->overview)
		c->overview->client = NULL; /* its answer, still to come, frees it */
	free(c);
}

static void serve_events(struct dashboard *d, struct http_exchange *x, const char *subject)
{
	static const char *const sse[] = {"X-Accel-Buffering", "no", NULL};
	const char *headers[N_PAGE_HEADERS + 3];
	struct client *c;
	struct ticket *t;

	if (d->stopping) {
		respond_error(x, 503, "server is stopping", NULL);
		return;
	}
	if (!(c = calloc(1, sizeof *c)) || !(t = calloc(1, sizeof *t))) {
		free(c);
		respond_error(x, 503, "out of memory", NULL);
		return;
	}
	with_headers(headers, sizeof headers / sizeof headers[0], sse);
	c->d = d;
	snprintf(c->subject, sizeof c->subject, "%s", subject);
	c->st = http_respond_stream(x, 200, "text/event-stream", headers, client_closed, c);
	if (!c->st) {
		free(c);
		free(t);
		respond_error(x, 500, "cannot open a stream", NULL);
		return;
	}
	c->next = d->clients;
	d->clients = c;
	http_stream_write(c->st, ": open\n\n", 8);
	/* The overview first; what happens meanwhile follows it, and is newer. */
	*t = (struct ticket){.d = d, .event = true, .client = c};
	c->overview = t;
	d->cfg.app.overview(d->cfg.app.ctx, subject, on_reply, t);
}

void dashboard_publish(struct dashboard *d, const char *subject, const char *event,
                       const json_t *data)
{
	char *json = NULL;

	if (!d || d->stopping)
		return;
	for (struct client *c = d->clients; c; c = c->next) {
		if (!c->st || strcmp(c->subject, subject ? subject : "") != 0)
			continue;
		if (!json && !(json = json_dumps(data, JSON_COMPACT)))
			return;
		write_event(c, event, json);
	}
	free(json);
}

bool dashboard_watched(const struct dashboard *d, const char *subject)
{
	if (!d || d->stopping)
		return false;
	for (const struct client *c = d->clients; c; c = c->next)
		if (c->st && strcmp(c->subject, subject ? subject : "") == 0)
			return true;
	return false;
}

static void on_tick(uv_timer_t *h)
{
	struct dashboard *d = h->data;
	static const char comment[] = ": keep-alive\n\n";

	for (struct client *c = d->clients; c; c = c->next)
		if (c->st && http_stream_quiet_ms(c->st) >= d->cfg.keepalive_s * 1000ull)
			http_stream_write(c->st, comment, sizeof comment - 1);
}

/* ---- routes ---- */

static void serve_session(struct dashboard *d, struct http_exchange *x, const char *subject)
{
	char csrf[2 * CSRF_BYTES + 1];

	csrf_token(d, subject, csrf);
	respond_json(x, 200,
	             json_pack("{s:s, s:s, s:b}", "csrf", csrf, "subject", subject, "auth",
	                       d->cfg.auth.auth != NULL),
	             NULL);
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* application/x-www-form-urlencoded: the value of field name, decoded, into out. */
static bool form_field(const char *body, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name), o = 0;

	for (const char *p = body; p && *p; p = strchr(p, '&'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		for (p += nl + 1; *p && *p != '&' && o + 1 < size; p++) {
			/* Both digits first: "%4" at the end must not step past it. */
			int hi = *p == '%' ? hex_digit(p[1]) : -1,
			    lo = hi >= 0 ? hex_digit(p[2]) : -1;
			if (*p == '+') {
				out[o++] = ' ';
			} else if (lo >= 0 && (hi || lo)) {
				out[o++] = (char)(hi << 4 | lo);
				p += 2;
			} else {
				out[o++] = *p;
			}
		}
		out[o] = '\0';
		return o > 0;
	}
	return false;
}

/* The login form's post: a good token comes back as the cookie, and the page loads. */
static void serve_login_post(struct dashboard *d, struct http_exchange *x)
{
	char token[HTTP_AUTH_TOKEN_MAX + 1], bearer[HTTP_AUTH_TOKEN_MAX + 16];
	char subject[HTTP_AUTH_SUBJECT_MAX], challenge[HTTP_AUTH_CHALLENGE_MAX];
	char cookie[2 * HTTP_AUTH_TOKEN_MAX + 128], b64[2 * HTTP_AUTH_TOKEN_MAX];
	size_t len;
	bool too_large;
	const char *body = http_body(x, &len, &too_large);

	if (too_large || !form_field(body, "token", token, sizeof token)) {
		check(d, NULL, subject, challenge, sizeof challenge);
		serve_login(x, challenge, d->cfg.auth.auth ? "Give a token." : "");
		return;
	}
	snprintf(bearer, sizeof bearer, "Bearer %s", token);
	if (check(d, bearer, subject, challenge, sizeof challenge) != HTTP_AUTH_OK) {
		serve_login(x, challenge, "That token was refused.");
	} else {
		sodium_bin2base64(b64, sizeof b64, (unsigned char *)token, strlen(token),
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict",
		         COOKIE_NAME, b64);
		const char *headers[] = {"Location", "/", "Set-Cookie", cookie, NULL};
		respond(x, 303, "text/plain", "", 0, headers);
	}
	sodium_memzero(token, sizeof token);
	sodium_memzero(bearer, sizeof bearer);
	sodium_memzero(b64, sizeof b64);
	sodium_memzero(cookie, sizeof cookie);
}

/* A task id as the runner makes them, or an MCP task's: short, and nothing to escape. */
static bool plain_id(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_",
		            s[i]))
			return false;
	return true;
}

/* POST /dashboard/api/approvals/<task>/<question> {"decision": "accept" | "decline"} */
static void serve_answer(struct dashboard *d, struct http_exchange *x, const char *subject,
                         const char *rest)
{
	char task[65];
	const char *slash = strchr(rest, '/');
	size_t len;
	bool too_large;
	json_t *body;
	char *end;
	unsigned long long q;

	if (!slash || !plain_id(rest, (size_t)(slash - rest))) {
		respond_error(x, 404, "no such approval", NULL);
		return;
	}
	errno = 0;
	q = strtoull(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end) {
		respond_error(x, 404, "no such approval", NULL);
		return;
	}
	snprintf(task, sizeof task, "%.*s", (int)(slash - rest), rest);
	const char *text = http_body(x, &len, &too_large);
	body = too_large ? NULL : json_loadb(text, len, 0, NULL);
	const char *decision = json_string_value(json_object_get(body, "decision"));
	if (!decision || (strcmp(decision, "accept") != 0 && strcmp(decision, "decline") != 0)) {
		json_decref(body);
		respond_error(x, 400, "decision must be \"accept\" or \"decline\"", NULL);
		return;
	}
	struct ticket *t = ticket_begin(d, x);
	if (t) {
		d->cfg.app.answer(d->cfg.app.ctx, subject, task, (uint64_t)q, decision, on_reply,
		                  t);
		ticket_end(t);
	}
	json_decref(body);
}

/* GET /dashboard/api/agents/<id>, POST /dashboard/api/agents/<id>/kill */
static void serve_agent(struct dashboard *d, struct http_exchange *x, const char *subject,
                        const char *rest, bool post)
{
	size_t n = strcspn(rest, "/");
	char id[65];

	if (!plain_id(rest, n) || (post ? strcmp(rest + n, "/kill") != 0 : rest[n] != '\0')) {
		respond_error(x, 404, "not found", NULL);
		return;
	}
	snprintf(id, sizeof id, "%.*s", (int)n, rest);
	struct ticket *t = ticket_begin(d, x);
	if (!t)
		return;
	if (post)
		d->cfg.app.kill(d->cfg.app.ctx, subject, id, on_reply, t);
	else
		d->cfg.app.agent(d->cfg.app.ctx, subject, id, on_reply, t);
	ticket_end(t);
}

static void serve_post(struct dashboard *d, struct http_exchange *x, const char *path,
                       const char *subject)
{
	static const char agents[] = "/dashboard/api/agents/",
	                  approvals[] = "/dashboard/api/approvals/";

	if (!csrf_ok(d, x, subject))
		return;
	if (strcmp(path, "/dashboard/logout") == 0) {
		const char *headers[] = {
		    "Set-Cookie", COOKIE_NAME "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
		    NULL};
		respond_json(x, 200, json_object(), headers);
	} else if (!http_check_json_type(http_header(x, "Content-Type"))) {
		respond_error(x, 415, "Content-Type must be application/json", NULL);
	} else if (strncmp(path, agents, sizeof agents - 1) == 0) {
		serve_agent(d, x, subject, path + sizeof agents - 1, true);
	} else if (strncmp(path, approvals, sizeof approvals - 1) == 0) {
		serve_answer(d, x, subject, path + sizeof approvals - 1);
	} else {
		respond_error(x, 404, "not found", NULL);
	}
}

static void serve_get(struct dashboard *d, struct http_exchange *x, const char *path,
                      const char *subject)
{
	static const char agents[] = "/dashboard/api/agents/";

	if (strcmp(path, "/") == 0) {
		serve_asset(x, "index.html");
	} else if (strcmp(path, "/dashboard/events") == 0) {
		serve_events(d, x, subject);
	} else if (strcmp(path, "/dashboard/api/session") == 0) {
		serve_session(d, x, subject);
	} else if (strcmp(path, "/dashboard/api/overview") == 0) {
		struct ticket *t = ticket_begin(d, x);
		if (t) {
			d->cfg.app.overview(d->cfg.app.ctx, subject, on_reply, t);
			ticket_end(t);
		}
	} else if (strncmp(path, agents, sizeof agents - 1) == 0) {
		serve_agent(d, x, subject, path + sizeof agents - 1, false);
	} else {
		respond_error(x, 404, "not found", NULL);
	}
}

bool dashboard_handle(void *data, struct http_exchange *x)
{
	struct dashboard *d = data;
	const char *path = http_path(x), *method = http_method(x);
	char subject[HTTP_AUTH_SUBJECT_MAX];
	bool post = strcmp(method, "POST") == 0;

	if (strcmp(path, "/") != 0 && strncmp(path, "/dashboard/", 11) != 0)
		return false;
	if (!post && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		const char *allow[] = {"Allow", "GET, POST", NULL};
		respond_error(x, 405, "method not allowed", allow);
	} else if (post && strcmp(path, "/dashboard/login") == 0) {
		serve_login_post(d, x);
	} else if (!post && strncmp(path, "/dashboard/", 11) == 0 && asset(path + 11) &&
	           strcmp(path + 11, "index.html") != 0 && strcmp(path + 11, "login.html") != 0) {
		/* The page's code and style hold nothing of the server's: the login page uses them.
		 */
		serve_asset(x, path + 11);
	} else if (authorized(d, x, !post && strcmp(path, "/") == 0, subject)) {
		if (post)
			serve_post(d, x, path, subject);
		else
			serve_get(d, x, path, subject);
	}
	return true;
}

int dashboard_new(const struct dashboard_config *cfg, struct dashboard **out, char *err,
                  size_t err_size)
{
	struct dashboard *d = calloc(1, sizeof *d);

	if (!d || sodium_init() < 0 || !(d->tick = malloc(sizeof *d->tick))) {
		free(d);
		snprintf(err, err_size, "dashboard: out of memory");
		return -ENOMEM;
	}
	d->cfg = *cfg;
	if (!d->cfg.keepalive_s)
		d->cfg.keepalive_s = 15;
	crypto_auth_hmacsha256_keygen(d->csrf_key);
	uv_timer_init(cfg->loop, d->tick);
	d->tick->data = d;
	uv_timer_start(d->tick, on_tick, 1000, 1000);
	uv_unref((uv_handle_t *)d->tick);
	*out = d;
	return 0;
}

void dashboard_stop(struct dashboard *d)
{
	if (!d)
		return;
	d->stopping = true;
	for (struct client *c = d->clients; c; c = c->next)
		if (c->st)
			http_stream_end(c->st);
}

void dashboard_free(struct dashboard *d)
{
	if (!d)
		return;
	/* The server closed every stream before: their clients are gone. */
	uv_close((uv_handle_t *)d->tick, (uv_close_cb)free);
	sodium_memzero(d->csrf_key, sizeof d->csrf_key);
	free(d);
}
