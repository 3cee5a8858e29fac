/* common.h: the glue every crm command shares: the common options, opening
 * the database, output set-up, and exiting with the right status. */
#ifndef CRM_COMMON_H
#define CRM_COMMON_H

#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "crm.h"

/* Long-only option codes shared by the commands (past any char). */
enum {
	OPT_WAIT = 1000,
	OPT_FORMAT,
	OPT_EXCEL,
	OPT_COMMON_LAST = 1100
};

/* The options every command takes; put COMMON_OPTIONS in its table. */
#define COMMON_OPTIONS \
	{ "db",      required_argument, NULL, 'd' }, \
	{ "wait",    required_argument, NULL, OPT_WAIT }, \
	{ "quiet",   no_argument,       NULL, 'q' }, \
	{ "help",    no_argument,       NULL, 'h' }, \
	{ "version", no_argument,       NULL, 'V' }, \
	{ "format",  required_argument, NULL, OPT_FORMAT }, \
	{ "tsv",     no_argument,       NULL, 't' }, \
	{ "excel",   no_argument,       NULL, OPT_EXCEL }
#define COMMON_SHORT "d:qhVt"

struct cmd_opts {
	const char *db;         /* -d, NULL: the default path */
	int wait_ms;            /* --wait, -1: $CRM_BUSY_TIMEOUT or default */
	int quiet;              /* -q */
	int fmt_set;            /* --format or -t given */
	enum crm_fmt fmt;
	unsigned outflags;      /* CRM_OUT_EXCEL ... */
};

/* cmd_init: defaults; also records argv as the audit source. */
void cmd_init(struct cmd_opts *o, int argc, char **argv);

/*
 * cmd_option: handle one of the common options (c from getopt_long).
 * Returns 1 if handled, 0 if c is not a common option. Exits for -h (calls
 * usage(0)), -V, and bad values (64).
 */
int cmd_option(struct cmd_opts *o, int c, const char *arg,
    void (*usage)(int status));

/* cmd_open: open the database or exit with its message and status. */
struct crm_db *cmd_open(struct cmd_opts *o, unsigned flags);

/* cmd_safe: msg as it may go to a terminal: each line through
 * crm_buf_addterm() (escape sequences and other control characters from
 * the data replaced), newlines kept. Borrowed: from a ring of buffers,
 * valid for the next three calls. Exits when out of memory. */
const char *cmd_safe(const char *msg);

/* cmd_die: report db's error as "prog: msg" and exit with its status,
 * rolling back first. */
void cmd_die(struct crm_db *db) __attribute__((noreturn));

/* cmd_out: a writer on stdout in the chosen format (the default: a table
 * on a terminal, else CSV). Exits when out of memory. */
struct crm_out *cmd_out(struct cmd_opts *o);

/* cmd_out_done: end and free o; exit 74 if writing failed. */
void cmd_out_done(struct crm_out *o);

/* cmd_exit: close db, check that stdout was written, exit with status. */
void cmd_exit(struct crm_db *db, int status) __attribute__((noreturn));

/* cmd_fopen: open an input argument ("-" is stdin); exit 66 on failure. */
FILE *cmd_fopen(const char *path);

/* cmd_customer_header / cmd_customer_row: the customer columns every
 * command prints (id, ref, names, contact, tags, consents, attrs, times).
 * The row loads tags and consents; exits through cmd_die on error. */
void cmd_customer_header(struct crm_out *o);
void cmd_customer_row(struct crm_db *db, struct crm_out *o,
    const struct crm_customer *c);

#endif

/* cmd_event_header / cmd_event_row: the event columns commands print.
 * cmd_event_row has the signature crm_event_each() wants; arg is the
 * struct crm_out. */
void cmd_event_header(struct crm_out *o);
int cmd_event_row(const struct crm_event *ev, void *arg);
