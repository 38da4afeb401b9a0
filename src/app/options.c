#include "app/options.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc/nesting.h"

static const char usage[] =
    "usage: codex-mcp [options]\n"
    "\n"
    "An MCP server, over stdio or HTTP, that hands coding work to the Codex CLI.\n"
    "\n"
    "  --codex-bin PATH      the Codex to run (default: $CODEX_BIN, then codex on PATH)\n"
    "  --backend KIND        how turns run: app-server (one warm Codex for every turn,\n"
    "                        which can ask for approvals), exec (a codex exec process\n"
    "                        per turn), or auto: app-server when Codex has it (auto)\n"
    "  --state-dir DIR       where threads are stored\n"
    "                        (default: $XDG_STATE_HOME/codex-mcp, ~/.local/state/codex-mcp)\n"
    "  --store URL           the records: sqlite:PATH, or postgresql://... shared by\n"
    "                        replicas on many hosts (default: sqlite:STATE/codex-mcp.db)\n"
    "  --lease SECONDS       with PostgreSQL: a replica that has not renewed its lease\n"
    "                        this long is gone, and its runs end as failed (30)\n"
    "  --codex-events        also send every Codex event as a codex/event notification\n"
    "  --allow-danger        permit sandbox danger-full-access and approval bypasses\n"
    "  --allow-dir DIR       runs may only work inside DIR; repeatable\n"
    "  --allow-config KEY    let clients set this config key (dotted, * for a part)\n"
    "                        as well as the safe ones; repeatable\n"
    "  --log-level LEVEL     stderr log level: debug, info, warning, error (default: info)\n"
    "  --kill-grace-ms N     wait between SIGTERM and SIGKILL when stopping a run (2000)\n"
    "  --approval-timeout SECONDS  decline an approval nobody answers (600; 0: never)\n"
    "  --max-message-bytes N longest message accepted from the client (67108864)\n"
    "  --progress-interval-ms N  progress at least this often while a run is quiet (10000)\n"
    "  --max-depth N         start no Codex runs when nested N deep: started by a Codex run\n"
    "                        of a codex-mcp that is itself N-1 deep (2; 0: no limit)\n"
    "\n"
    "Agents (the fleet tools; every run is a task):\n"
    "  --tools SET           what tools/list shows: compat (codex, codex-reply), fleet,\n"
    "                        all (default; with codex-steer and message_agent), or a\n"
    "                        comma list of tool names\n"
    "  --max-agents N        runs at once; more wait in a queue (default: the cores)\n"
    "  --fleet-max-agents N  with PostgreSQL: runs at once across the replicas that share\n"
    "                        the store; more wait queued where they came (default: none)\n"
    "  --timeout SECONDS     default run timeout, 0 for none (3600)\n"
    "  --stall-seconds N     a run quiet this long is reported stalled (60)\n"
    "  --kill-stalled-after N  kill a stalled run after N more seconds (0: never)\n"
    "  --env KEY=VALUE       add to every run's environment; repeatable; values are masked\n"
    "  --agent-cwd DIR       default cwd of runs (default: $CODEX_AGENT_CWD, else ours)\n"
    "  --log-dir DIR         agent logs (default: $CODEX_AS_MCP_LOG_DIR, else STATE/logs)\n"
    "  --log-max-bytes N     one agent log's size before it rotates (10485760)\n"
    "  --task-ttl-max SECONDS  longest an MCP task is kept after it is created (604800)\n"
    "\n"
    "HTTP (instead of stdio; MCP at /mcp, both protocol eras):\n"
    "  --http HOST:PORT      listen there; a bare PORT means 127.0.0.1; port 0 takes a free one\n"
    "  --http-token-file FILE  bearer tokens, one a line; needed off loopback unless OAuth\n"
    "  --oauth-issuer URL    accept JWT access tokens of this issuer (RS256, ES256)\n"
    "  --oauth-jwks FILE     the issuer's keys (default: fetched from the issuer)\n"
    "  --oauth-scopes \"A B\"  scopes every token must carry\n"
    "  --http-public-url URL the endpoint's URL as clients reach it, e.g. behind a TLS\n"
    "                        proxy (default: http://HOST:PORT/mcp); tokens' audience\n"
    "  --http-allow-origin ORIGIN  a browser origin allowed besides our own; repeatable\n"
    "  --http-allow-host NAME  a Host name allowed besides the bound address; repeatable\n"
    "  --http-max-connections N  connections at once (1024)\n"
    "  --http-max-sessions N  2025-era sessions at once (4096)\n"
    "  --http-timeout SECONDS  close a connection idle this long, headers included (30)\n"
    "  --http-session-idle SECONDS  end a 2025 session unused this long (3600)\n"
    "  --http-keepalive SECONDS  a comment on an SSE stream quiet this long (15)\n"
    "  --http-max-backlog BYTES  cut off a client that leaves this much unread (4194304)\n"
    "\n"
    "  --version             print the version\n"
    "  --help                print this help\n"
    "\n"
    "Commands for the operator, with the same options (each has --help):\n"
    "  codex-mcp doctor      whether a codex call would work here, and what to fix\n"
    "  codex-mcp tasks       the tasks in the store (--status, --limit, --json, --watch)\n"
    "  codex-mcp show TASK   one task: status, report, output, changed files\n"
    "  codex-mcp logs TASK   its agent log (-f: follow it)\n";

enum {
	OPT_CODEX_BIN = 1000,
	OPT_BACKEND,
	OPT_STATE_DIR,
	OPT_STORE,
	OPT_LEASE,
	OPT_CODEX_EVENTS,
	OPT_ALLOW_DANGER,
	OPT_LOG_LEVEL,
	OPT_KILL_GRACE,
	OPT_APPROVAL_TIMEOUT,
	OPT_MAX_MESSAGE,
	OPT_PROGRESS_INTERVAL,
	OPT_TOOLS,
	OPT_MAX_AGENTS,
	OPT_FLEET_MAX_AGENTS,
	OPT_TIMEOUT,
	OPT_STALL,
	OPT_KILL_STALLED,
	OPT_ENV,
	OPT_AGENT_CWD,
	OPT_LOG_DIR,
	OPT_LOG_MAX,
	OPT_TASK_TTL,
	OPT_ALLOW_DIR,
	OPT_ALLOW_CONFIG,
	OPT_MAX_DEPTH,
	OPT_VERSION,
	OPT_HELP,
	OPT_HTTP,
	OPT_HTTP_PUBLIC_URL,
	OPT_HTTP_TOKEN_FILE,
	OPT_OAUTH_ISSUER,
	OPT_OAUTH_JWKS,
	OPT_OAUTH_SCOPES,
	OPT_HTTP_ALLOW_ORIGIN,
	OPT_HTTP_ALLOW_HOST,
	OPT_HTTP_MAX_CONNECTIONS,
	OPT_HTTP_MAX_SESSIONS,
	OPT_HTTP_TIMEOUT,
	OPT_HTTP_SESSION_IDLE,
	OPT_HTTP_KEEPALIVE,
	OPT_HTTP_MAX_BACKLOG,
};

static const struct option long_options[] = {
    {"codex-bin", required_argument, NULL, OPT_CODEX_BIN},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"store", required_argument, NULL, OPT_STORE},
    {"lease", required_argument, NULL, OPT_LEASE},
    {"codex-events", no_argument, NULL, OPT_CODEX_EVENTS},
    {"allow-danger", no_argument, NULL, OPT_ALLOW_DANGER},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"kill-grace-ms", required_argument, NULL, OPT_KILL_GRACE},
    {"approval-timeout", required_argument, NULL, OPT_APPROVAL_TIMEOUT},
    {"max-message-bytes", required_argument, NULL, OPT_MAX_MESSAGE},
    {"progress-interval-ms", required_argument, NULL, OPT_PROGRESS_INTERVAL},
    {"tools", required_argument, NULL, OPT_TOOLS},
    {"max-agents", required_argument, NULL, OPT_MAX_AGENTS},
    {"fleet-max-agents", required_argument, NULL, OPT_FLEET_MAX_AGENTS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"stall-seconds", required_argument, NULL, OPT_STALL},
    {"kill-stalled-after", required_argument, NULL, OPT_KILL_STALLED},
    {"env", required_argument, NULL, OPT_ENV},
    {"agent-cwd", required_argument, NULL, OPT_AGENT_CWD},
    {"log-dir", required_argument, NULL, OPT_LOG_DIR},
    {"log-max-bytes", required_argument, NULL, OPT_LOG_MAX},
    {"task-ttl-max", required_argument, NULL, OPT_TASK_TTL},
    {"allow-dir", required_argument, NULL, OPT_ALLOW_DIR},
    {"allow-config", required_argument, NULL, OPT_ALLOW_CONFIG},
    {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
    {"http", required_argument, NULL, OPT_HTTP},
    {"http-public-url", required_argument, NULL, OPT_HTTP_PUBLIC_URL},
    {"http-token-file", required_argument, NULL, OPT_HTTP_TOKEN_FILE},
    {"oauth-issuer", required_argument, NULL, OPT_OAUTH_ISSUER},
    {"oauth-jwks", required_argument, NULL, OPT_OAUTH_JWKS},
    {"oauth-scopes", required_argument, NULL, OPT_OAUTH_SCOPES},
    {"http-allow-origin", required_argument, NULL, OPT_HTTP_ALLOW_ORIGIN},
    {"http-allow-host", required_argument, NULL, OPT_HTTP_ALLOW_HOST},
    {"http-max-connections", required_argument, NULL, OPT_HTTP_MAX_CONNECTIONS},
    {"http-max-sessions", required_argument, NULL, OPT_HTTP_MAX_SESSIONS},
    {"http-timeout", required_argument, NULL, OPT_HTTP_TIMEOUT},
    {"http-session-idle", required_argument, NULL, OPT_HTTP_SESSION_IDLE},
    {"http-keepalive", required_argument, NULL, OPT_HTTP_KEEPALIVE},
    {"http-max-backlog", required_argument, NULL, OPT_HTTP_MAX_BACKLOG},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

char *options_default_state_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char *dir;

	if (xdg && *xdg == '/') {
		if (asprintf(&dir, "%s/codex-mcp", xdg) < 0)
			return NULL;
		return dir;
	}
	/* No fallback to a shared directory: another user could have made it first. */
	if (!home || *home != '/')
		return NULL;
	if (asprintf(&dir, "%s/.local/state/codex-mcp", home) < 0)
		return NULL;
	return dir;
}

/*
 * An --allow-config key: dotted parts, each a bare TOML key or "*" for any one part.
 * The first part is named: "*" there would let clients set every key, which is what
 * --allow-danger says plainly.
 */
static bool config_pattern_valid(const char *p)
{
	for (bool first = true;; first = false) {
		size_t n = strcspn(p, ".");
		bool star = n == 1 && *p == '*';
		if (n == 0 || (star && first))
			return false;
		for (size_t i = 0; i < n && !star; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-')
				return false;
		if (p[n] == '\0')
			return true;
		p += n + 1;
	}
}

/* Appends to a NULL-terminated list of strings. */
static int append(char ***list, size_t *n, const char *value)
{
	char **grown = realloc(*list, (*n + 2) * sizeof *grown);

	if (!grown)
		return -1;
	*list = grown;
	grown[*n] = strdup(value);
	if (!grown[*n])
		return -1;
	grown[++*n] = NULL;
	return 0;
}

static void set_string(char **slot, const char *value)
{
	free(*slot);
	*slot = strdup(value);
}

static int parse_size(const char *s, unsigned long long min, unsigned long long max,
                      unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The value of a numeric flag when in range; otherwise says so and returns -1. */
static int number(const char *flag, unsigned long long min, unsigned long long max,
                  unsigned long long *out)
{
	if (parse_size(optarg, min, max, out) == 0)
		return 0;
	fprintf(stderr, "codex-mcp: --%s: expected a number from %llu to %llu\n", flag, min, max);
	return -1;
}

/* The HTTP flags: 0 taken, -1 a bad value (said), 1 not one of them. */
static int parse_http(int c, struct http_options *h)
{
	unsigned long long n;

	switch (c) {
	case OPT_HTTP:
		set_string(&h->listen, optarg);
		return 0;
	case OPT_HTTP_PUBLIC_URL:
		set_string(&h->public_url, optarg);
		return 0;
	case OPT_HTTP_TOKEN_FILE:
		set_string(&h->token_file, optarg);
		return 0;
	case OPT_OAUTH_ISSUER:
		set_string(&h->oauth_issuer, optarg);
		return 0;
	case OPT_OAUTH_JWKS:
		set_string(&h->oauth_jwks, optarg);
		return 0;
	case OPT_OAUTH_SCOPES:
		set_string(&h->oauth_scopes, optarg);
		return 0;
	case OPT_HTTP_ALLOW_ORIGIN:
		return append(&h->allow_origins, &h->n_allow_origins, optarg);
	case OPT_HTTP_ALLOW_HOST:
		return append(&h->allow_hosts, &h->n_allow_hosts, optarg);
	case OPT_HTTP_MAX_CONNECTIONS:
		if (number("http-max-connections", 1, 1000000, &n))
			return -1;
		h->max_connections = (unsigned)n;
		return 0;
	case OPT_HTTP_MAX_SESSIONS:
		if (number("http-max-sessions", 1, 1000000, &n))
			return -1;
		h->max_sessions = (unsigned)n;
		return 0;
	case OPT_HTTP_TIMEOUT:
		if (number("http-timeout", 1, 86400, &n))
			return -1;
		h->timeout_s = (unsigned)n;
		return 0;
	case OPT_HTTP_SESSION_IDLE:
		if (number("http-session-idle", 1, 30 * 86400, &n))
			return -1;
		h->session_idle_s = (unsigned)n;
		return 0;
	case OPT_HTTP_KEEPALIVE:
		if (number("http-keepalive", 1, 3600, &n))
			return -1;
		h->keepalive_s = (unsigned)n;
		return 0;
	case OPT_HTTP_MAX_BACKLOG:
		if (number("http-max-backlog", 4096, 1ull << 32, &n))
			return -1;
		h->max_backlog = (size_t)n;
		return 0;
	default:
		return 1;
	}
}

static void http_defaults(struct http_options *h)
{
	h->max_connections = 1024;
	h->max_sessions = 4096;
	h->timeout_s = 30;
	h->session_idle_s = 3600;
	h->keepalive_s = 15;
	h->max_backlog = 4u << 20;
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* The server's flags and the command's own, in one table for getopt (malloc'd). */
static struct option *merged_options(const struct options_extra *x)
{
	size_t ours = sizeof long_options / sizeof *long_options - 1, theirs = 0;
	struct option *all;

	while (x && x->flags && x->flags[theirs].name)
		theirs++;
	all = calloc(ours + theirs + 1, sizeof *all);
	if (!all)
		return NULL;
	memcpy(all, long_options, ours * sizeof *all);
	if (theirs)
		memcpy(all + ours, x->flags, theirs * sizeof *all);
	return all;
}

enum options_result options_parse(int argc, char **argv, struct options *o)
{
	return options_parse_extra(argc, argv, o, NULL);
}

static enum options_result parse(int argc, char **argv, struct options *o,
                                 const struct options_extra *x, const struct option *table);

enum options_result options_parse_extra(int argc, char **argv, struct options *o,
                                        const struct options_extra *x)
{
	struct option *table = merged_options(x);
	enum options_result r;

	memset(o, 0, sizeof *o);
	if (!table) {
		fprintf(stderr, "codex-mcp: out of memory\n");
		return OPTIONS_EXIT_USAGE;
	}
	r = parse(argc, argv, o, x, table);
	free(table);
	return r;
}

static enum options_result parse(int argc, char **argv, struct options *o,
                                 const struct options_extra *x, const struct option *table)
{
	const char *help = x && x->usage ? x->usage : usage;
	unsigned long long n;
	int c;

	o->log_level = LOG_INFO;
	o->kill_grace_ms = 2000;
	o->approval_timeout_s = 600;
	o->lease_s = 30;
	o->max_message_bytes = 64u << 20;
	o->max_event_bytes = 32u << 20;
	o->heartbeat_ms = 10000;
	o->log_max_bytes = 10u << 20;
	o->timeout_s = 3600;
	o->stall_s = 60;
	o->task_ttl_max_s = 7 * 86400;
	o->max_depth = NESTING_MAX_DEFAULT;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	o->max_agents = cores > 0 ? (unsigned)cores : 1;
	http_defaults(&o->http);

	optind = 1;
	while ((c = getopt_long(argc, argv, x && x->short_flags ? x->short_flags : "", table,
	                        NULL)) != -1) {
		int taken = parse_http(c, &o->http);
		if (taken < 0)
			return OPTIONS_EXIT_USAGE;
		if (taken == 0)
			continue;
		switch (c) {
		case OPT_CODEX_BIN:
			set_string(&o->codex_bin, optarg);
			break;
		case OPT_BACKEND:
			if (strcmp(optarg, "auto") == 0) {
				o->backend = BACKEND_AUTO;
			} else if (strcmp(optarg, "app-server") == 0) {
				o->backend = BACKEND_APP_SERVER;
			} else if (strcmp(optarg, "exec") == 0) {
				o->backend = BACKEND_EXEC;
			} else {
				fprintf(stderr,
				        "codex-mcp: --backend must be auto, app-server or exec\n");
				return OPTIONS_EXIT_USAGE;
			}
			break;
		case OPT_STATE_DIR:
			set_string(&o->state_dir, optarg);
			break;
		case OPT_STORE:
			set_string(&o->store, optarg);
			break;
		case OPT_LEASE:
			if (number("lease", 3, 86400, &n))
				return OPTIONS_EXIT_USAGE;
			o->lease_s = (unsigned)n;
			break;
		case OPT_CODEX_EVENTS:
			o->codex_events = true;
			break;
		case OPT_ALLOW_DANGER:
			o->allow_danger = true;
			break;
		case OPT_LOG_LEVEL:
			if (log_level_parse(optarg, &o->log_level) != 0) {
				fprintf(stderr, "codex-mcp: --log-level: unknown level \"%s\"\n",
				        optarg);
				return OPTIONS_EXIT_USAGE;
			}
			break;
		case OPT_KILL_GRACE:
			if (number("kill-grace-ms", 0, 600000, &n))
				return OPTIONS_EXIT_USAGE;
			o->kill_grace_ms = (unsigned)n;
			break;
		case OPT_APPROVAL_TIMEOUT:
			if (number("approval-timeout", 0, 7 * 86400, &n))
				return OPTIONS_EXIT_USAGE;
			o->approval_timeout_s = (unsigned)n;
			break;
		case OPT_MAX_MESSAGE:
			if (number("max-message-bytes", 1024, 1ull << 32, &n))
				return OPTIONS_EXIT_USAGE;
			o->max_message_bytes = (size_t)n;
			break;
		case OPT_PROGRESS_INTERVAL:
			if (number("progress-interval-ms", 100, 3600000, &n))
				return OPTIONS_EXIT_USAGE;
			o->heartbeat_ms = (unsigned)n;
			break;
		case OPT_TOOLS:
			set_string(&o->tools, optarg);
			break;
		case OPT_MAX_AGENTS:
			if (number("max-agents", 1, 4096, &n))
				return OPTIONS_EXIT_USAGE;
			o->max_agents = (unsigned)n;
			break;
		case OPT_FLEET_MAX_AGENTS:
			if (number("fleet-max-agents", 1, 100000, &n))
				return OPTIONS_EXIT_USAGE;
			o->fleet_max_agents = (unsigned)n;
			break;
		case OPT_TIMEOUT:
			if (number("timeout", 0, 7 * 86400, &n))
				return OPTIONS_EXIT_USAGE;
			o->timeout_s = (unsigned)n;
			break;
		case OPT_STALL:
			if (number("stall-seconds", 1, 86400, &n))
				return OPTIONS_EXIT_USAGE;
			o->stall_s = (unsigned)n;
			break;
		case OPT_KILL_STALLED:
			if (number("kill-stalled-after", 0, 86400, &n))
				return OPTIONS_EXIT_USAGE;
			o->kill_stalled_after_s = (unsigned)n;
			break;
		case OPT_ENV: {
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				fprintf(stderr, "codex-mcp: --env: expected KEY=VALUE\n");
				return OPTIONS_EXIT_USAGE;
			}
			if (append(&o->env, &o->n_env, optarg) != 0)
				return OPTIONS_EXIT_USAGE;
			break;
		}
		case OPT_AGENT_CWD:
			set_string(&o->agent_cwd, optarg);
			break;
		case OPT_LOG_DIR:
			set_string(&o->log_dir, optarg);
			break;
		case OPT_LOG_MAX:
			if (number("log-max-bytes", 4096, 1ull << 40, &n))
				return OPTIONS_EXIT_USAGE;
			o->log_max_bytes = (size_t)n;
			break;
		case OPT_TASK_TTL:
			if (number("task-ttl-max", 1, 366 * 86400, &n))
				return OPTIONS_EXIT_USAGE;
			o->task_ttl_max_s = (unsigned)n;
			break;
		case OPT_ALLOW_DIR:
			if (append(&o->allow_dirs, &o->n_allow_dirs, optarg) != 0)
				return OPTIONS_EXIT_USAGE;
			break;
		case OPT_ALLOW_CONFIG:
			if (!config_pattern_valid(optarg)) {
				fprintf(stderr,
				        "codex-mcp: --allow-config: \"%s\" is not a dotted key "
				        "(parts of "
				        "letters, digits, '_' and '-', or '*' after the first); "
				        "--allow-danger allows every key\n",
				        optarg);
				return OPTIONS_EXIT_USAGE;
			}
			if (append(&o->allow_config, &o->n_allow_config, optarg) != 0)
				return OPTIONS_EXIT_USAGE;
			break;
		case OPT_MAX_DEPTH:
			if (number("max-depth", 0, 100, &n))
				return OPTIONS_EXIT_USAGE;
			o->max_depth = (unsigned)n;
			break;
		case OPT_VERSION:
			printf("codex-mcp %s\n", CODEX_MCP_VERSION);
			return OPTIONS_EXIT_OK;
		case OPT_HELP:
			fputs(help, stdout);
			return OPTIONS_EXIT_OK;
		default:
			taken = x && x->flag ? x->flag(x->data, c, optarg) : 1;
			if (taken == 0)
				break;
			if (taken > 0)
				fputs(help, stderr);
			return OPTIONS_EXIT_USAGE;
		}
	}
	if (x && x->args) {
		if (x->args(x->data, argv + optind, argc - optind) != 0)
			return OPTIONS_EXIT_USAGE;
	} else if (optind < argc) {
		fprintf(stderr, "codex-mcp: unexpected argument \"%s\"\n%s", argv[optind], help);
		return OPTIONS_EXIT_USAGE;
	}
	if (!o->state_dir)
		o->state_dir = options_default_state_dir();
	/* The environment names codex-as-mcp used, so its setups keep working. */
	if (!o->log_dir && getenv("CODEX_AS_MCP_LOG_DIR") && *getenv("CODEX_AS_MCP_LOG_DIR"))
		o->log_dir = strdup(getenv("CODEX_AS_MCP_LOG_DIR"));
	if (!o->log_dir && o->state_dir && asprintf(&o->log_dir, "%s/logs", o->state_dir) < 0)
		o->log_dir = NULL;
	if (!o->agent_cwd && getenv("CODEX_AGENT_CWD") && *getenv("CODEX_AGENT_CWD"))
		o->agent_cwd = strdup(getenv("CODEX_AGENT_CWD"));
	if (!o->tools)
		o->tools = strdup("all");
	return OPTIONS_RUN;
}

void options_free(struct options *o)
{
	struct http_options *h = &o->http;

	free(h->listen);
	free(h->public_url);
	free(h->token_file);
	free(h->oauth_issuer);
	free(h->oauth_jwks);
	free(h->oauth_scopes);
	free_list(h->allow_origins, h->n_allow_origins);
	free_list(h->allow_hosts, h->n_allow_hosts);
	for (size_t i = 0; i < o->n_env; i++)
		free(o->env[i]);
	free(o->env);
	for (size_t i = 0; i < o->n_allow_dirs; i++)
		free(o->allow_dirs[i]);
	free(o->allow_dirs);
	for (size_t i = 0; i < o->n_allow_config; i++)
		free(o->allow_config[i]);
	free(o->allow_config);
	free(o->log_dir);
	free(o->agent_cwd);
	free(o->tools);
	free(o->codex_bin);
	free(o->state_dir);
	free(o->store);
	memset(o, 0, sizeof *o);
}
