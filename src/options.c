#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: codex-mcp [options]\n"
    "\n"
    "An MCP server over stdio that hands coding work to the Codex CLI.\n"
    "\n"
    "  --codex-bin PATH      the Codex to run (default: $CODEX_BIN, then codex on PATH)\n"
    "  --state-dir DIR       where threads are stored\n"
    "                        (default: $XDG_STATE_HOME/codex-mcp, ~/.local/state/codex-mcp)\n"
    "  --codex-events        also send every Codex event as a codex/event notification\n"
    "  --allow-danger        permit sandbox danger-full-access and approval bypasses\n"
    "  --log-level LEVEL     stderr log level: debug, info, warning, error (default: info)\n"
    "  --kill-grace-ms N     wait between SIGTERM and SIGKILL when stopping a run (2000)\n"
    "  --max-message-bytes N longest message accepted from the client (67108864)\n"
    "  --progress-interval-ms N  progress at least this often while a run is quiet (10000)\n"
    "  --version             print the version\n"
    "  --help                print this help\n";

enum {
	OPT_CODEX_BIN = 1000,
	OPT_STATE_DIR,
	OPT_CODEX_EVENTS,
	OPT_ALLOW_DANGER,
	OPT_LOG_LEVEL,
	OPT_KILL_GRACE,
	OPT_MAX_MESSAGE,
	OPT_PROGRESS_INTERVAL,
	OPT_VERSION,
	OPT_HELP,
};

static const struct option long_options[] = {
    {"codex-bin", required_argument, NULL, OPT_CODEX_BIN},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"codex-events", no_argument, NULL, OPT_CODEX_EVENTS},
    {"allow-danger", no_argument, NULL, OPT_ALLOW_DANGER},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"kill-grace-ms", required_argument, NULL, OPT_KILL_GRACE},
    {"max-message-bytes", required_argument, NULL, OPT_MAX_MESSAGE},
    {"progress-interval-ms", required_argument, NULL, OPT_PROGRESS_INTERVAL},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static char *default_state_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char *dir;

	if (xdg && *xdg == '/') {
		if (asprintf(&dir, "%s/codex-mcp", xdg) < 0)
			return NULL;
		return dir;
	}
	if (asprintf(&dir, "%s/.local/state/codex-mcp", home && *home ? home : "/tmp") < 0)
		return NULL;
	return dir;
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

enum options_result options_parse(int argc, char **argv, struct options *o)
{
	unsigned long long n;
	int c;

	memset(o, 0, sizeof *o);
	o->log_level = LOG_INFO;
	o->kill_grace_ms = 2000;
	o->max_message_bytes = 64u << 20;
	o->max_event_bytes = 32u << 20;
	o->heartbeat_ms = 10000;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_CODEX_BIN:
			free(o->codex_bin);
			o->codex_bin = strdup(optarg);
			break;
		case OPT_STATE_DIR:
			free(o->state_dir);
			o->state_dir = strdup(optarg);
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
			if (parse_size(optarg, 0, 600000, &n) != 0) {
				fprintf(stderr,
				        "codex-mcp: --kill-grace-ms: expected 0 to 600000\n");
				return OPTIONS_EXIT_USAGE;
			}
			o->kill_grace_ms = (unsigned)n;
			break;
		case OPT_MAX_MESSAGE:
			if (parse_size(optarg, 1024, 1ull << 32, &n) != 0) {
				fprintf(stderr, "codex-mcp: --max-message-bytes: expected 1024 to "
				                "4294967296\n");
				return OPTIONS_EXIT_USAGE;
			}
			o->max_message_bytes = (size_t)n;
			break;
		case OPT_PROGRESS_INTERVAL:
			if (parse_size(optarg, 100, 3600000, &n) != 0) {
				fprintf(stderr,
					"codex-mcp: --progress-interval-ms: expected 100 to 3600000\n");
				return OPTIONS_EXIT_USAGE;
			}
			o->heartbeat_ms = (unsigned)n;
			break;
		case OPT_VERSION:
			printf("codex-mcp %s\n", CODEX_MCP_VERSION);
			return OPTIONS_EXIT_OK;
		case OPT_HELP:
			fputs(usage, stdout);
			return OPTIONS_EXIT_OK;
		default:
			fputs(usage, stderr);
			return OPTIONS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "codex-mcp: unexpected argument \"%s\"\n%s", argv[optind], usage);
		return OPTIONS_EXIT_USAGE;
	}
	if (!o->state_dir)
		o->state_dir = default_state_dir();
	return OPTIONS_RUN;
}

void options_free(struct options *o)
{
	free(o->codex_bin);
	free(o->state_dir);
	memset(o, 0, sizeof *o);
}
