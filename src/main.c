#include <signal.h>
#include <string.h>

#include "app/app.h"
#include "app/options.h"
#include "app/worktree.h"
#include "cli/cli.h"
#include "proc/child.h"

int main(int argc, char **argv)
{
	struct options opts;
	int status;

	if (argc > 1 && strcmp(argv[1], CHILD_EXEC_ARG) == 0)
		return child_exec_main(argc, argv);
	/* The operator's commands: codex-mcp doctor, tasks, show, logs, worktrees. */
	if (argc > 1 && cli_is_command(argv[1]))
		return cli_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "worktrees") == 0)
		return worktree_main(argc - 1, argv + 1);

	switch (options_parse(argc, argv, &opts)) {
	case OPTIONS_EXIT_OK:
		options_free(&opts);
		return 0;
	case OPTIONS_EXIT_USAGE:
		options_free(&opts);
		return 2;
	case OPTIONS_RUN:
		break;
	}
	/* A client that goes away, or a file-size limit, must not kill us mid-write. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	/* Hundreds of agents need thousands of descriptors: take what the hard limit allows. */
	child_raise_fd_limit();
	status = app_run(&opts);
	options_free(&opts);
	return status;
}
