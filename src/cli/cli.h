/*
 * The operator's commands: `codex-mcp doctor`, `tasks`, `show TASK`, `logs TASK`. Each
 * reads the server's own options (app/options.h), so it looks at what a server started
 * with the same flags would use: the same Codex, the same store, the same log directory.
 */
#ifndef CODEX_MCP_CLI_H
#define CODEX_MCP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "app/options.h"
#include "store/store.h"

/* Whether argv[1] names one of the commands. */
bool cli_is_command(const char *word);
/* Runs the command argv[1] names; returns the exit status. */
int cli_main(int argc, char **argv);

int cli_doctor(int argc, char **argv);
int cli_tasks(int argc, char **argv);
int cli_show(int argc, char **argv);
int cli_logs(int argc, char **argv);

/* Options of the commands, after the server's (their getopt values). */
enum {
	CLI_OPT_JSON = 2000,
	CLI_OPT_STATUS,
	CLI_OPT_LIMIT,
	CLI_OPT_WATCH,
	CLI_OPT_SUBJECT,
	CLI_OPT_FOLLOW = 'f',
};

/*
 * The server's options with the command's own: argv is the command's (argv[0] its
 * name). 0 to go on, else the exit status (help printed: 0, a mistake: 2).
 */
int cli_options(int argc, char **argv, struct options *o, const struct options_extra *x,
                int *exit_status);

/*
 * Opens the store the server would, read as it is: an SQLite database that is not
 * there yet is not made (-ENOENT). 0, or -errno with err, which never holds a password.
 */
int cli_store_open(const struct options *o, struct store **out, char *err, size_t err_size);
/* The store's URL as it may be shown: the password replaced by "[redacted]" (malloc'd). */
char *cli_store_display(const struct options *o);

/*
 * Where human output goes: through $PAGER (less) when stdout is a terminal, else
 * stdout. cli_page_end() waits for the pager.
 */
FILE *cli_page_begin(void);
void cli_page_end(FILE *out);
/* Whether $PAGER's program (its first word) can be run: not empty, not cat, on PATH. */
bool cli_pager_usable(const char *pager);
/*
 * The human output of task text (agent output, Codex's stderr) with terminal controls
 * made visible: C0 other than \n and \t as ^X, DEL as ^?, C1 (UTF-8 U+0080..U+009F) as
 * U+FFFD. Escapes a model wrote could otherwise retitle the terminal or set the
 * clipboard (OSC 52). NUL-terminated, malloc'd; NULL when out of memory.
 */
char *cli_sanitize(const char *s, size_t len);
/* Columns of the terminal: stdout's, else $COLUMNS, else 0 (no limit). */
int cli_columns(void);
/* Rows of stdout's terminal, or 0 (not a terminal). */
int cli_rows(void);
/* Prints s cut to fit width columns (0: as it is), its first line only, then a newline;
 * controls made visible as cli_sanitize does. */
void cli_print_fit(FILE *out, const char *s, int width);
/* "3m ago", "2h ago" for ms since the epoch; "-" for 0. */
void cli_age(int64_t ms, int64_t now, char *buf, size_t size);

#endif
