/* crm: the front end. "crm add ..." runs crm-add from the directory crm
 * lives in, else from PATH; "crm help add" shows the man page; "crm" alone
 * lists the commands. */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	const char *what;
} commands[] = {
	{ "add",  "add customers or update them, from options or CSV" },
	{ "log",  "record events: purchases, complaints, callbacks, mail ..." },
	{ "import", "import customers and events from spreadsheet exports" },
	{ "find", "customers by name, phone or email, however spelled" },
	{ "show", "a customer's card and timeline" },
	{ "forget", "erase a person, keeping the statistics" },
	{ "segment", "who is in a group: RFM, filters, consent-aware lists" },
	{ "predict", "who buys again, when, what, and what they are worth" },
	{ "report", "the nightly report and the department reports" },
};

static void list(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: crm [--version] [--help] command [args]\n"
	    "       crm help command\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-8s %s\n", commands[i].name, commands[i].what);
	fprintf(fp, "\nOther crm-* programs in PATH run the same way. "
	    "See crm(7) for a tour.\n");
}

/* selfdir: the directory of this executable into buf, or "" if unknown. */
static void selfdir(char *buf, size_t len)
{
	ssize_t n;
	char *slash;

	buf[0] = '\0';
	if ((n = readlink("/proc/self/exe", buf, len - 1)) <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) != NULL)
		*slash = '\0';
}

/* help: show the man page of cmd (crm(7) for none): the page beside a
 * build tree's executable if there is one, else man(1)'s search. */
static void help(const char *cmd)
{
	char dir[PATH_MAX], page[PATH_MAX + 128], name[64], *sect;

	if (cmd == NULL || strcmp(cmd, "crm") == 0)
		snprintf(name, sizeof(name), "crm.7");
	else if (strcmp(cmd, "5") == 0 || strcmp(cmd, "files") == 0)
		snprintf(name, sizeof(name), "crm.5");
	else
		snprintf(name, sizeof(name), "crm-%s.1",
		    strncmp(cmd, "crm-", 4) == 0 ? cmd + 4 : cmd);
	selfdir(dir, sizeof(dir));
	snprintf(page, sizeof(page), "%s/../man/%s", dir, name);
	if (access(page, R_OK) == 0) {
		execlp("man", "man", "-l", page, (char *)NULL);
		err(1, "man");
	}
	sect = strrchr(name, '.');
	*sect++ = '\0';
	execlp("man", "man", sect, name, (char *)NULL);
	err(1, "man");
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX], prog[PATH_MAX + 64];

	if (argc < 2) {
		list(stdout);
		return fflush(stdout) == 0 ? 0 : 74;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		list(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("crm %s\n", CRM_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0)
		help(argc > 2 ? argv[2] : NULL);
	if (argv[1][0] == '-' || strchr(argv[1], '/') ||
	    strlen(argv[1]) > 40) {
		list(stderr);
		return 64;
	}
	selfdir(dir, sizeof(dir));
	snprintf(prog, sizeof(prog), "%s/crm-%s", dir, argv[1]);
	argv[1] = prog + strlen(dir) + 1;
	if (dir[0] && access(prog, X_OK) == 0)
		execv(prog, argv + 1);
	execvp(argv[1], argv + 1);
	if (errno == ENOENT) {
		warnx("'%s' is not a crm command; see 'crm'", argv[1] + 4);
		return 64;
	}
	err(69, "%s", argv[1]);
}
