#!/usr/bin/env bats
# scripts/nightly.cron works: its entry, run as cron would (sh -c, \% as %),
# imports the day's exports, fits, records a nightly report and hands a
# well-formed HTML mail to sendmail. crm-import, crm-predict and sendmail
# are stand-ins that log their calls, so only crm-report is the real one.

load helper

CRON="$CRM_ROOT/scripts/nightly.cron"

setup_stubs() {
	mkdir -p stub exports/"$(date -d yesterday +%F)"
	touch exports/"$(date -d yesterday +%F)"/orders.csv exports/"$(date -d yesterday +%F)"/customers.csv
	for c in crm-import crm-predict; do
		printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$c" "$TMP" >stub/$c
	done
	printf '#!/bin/sh\necho "sendmail $*" >>"%s/calls"\ncat >"%s/mail"\n' "$TMP" "$TMP" >stub/sendmail
	chmod +x stub/*
}

# cron_command: the command of the crontab's one entry, as cron runs it.
cron_command() {
	grep -E '^[0-9*]' "$CRON" | cut -d' ' -f6- | sed 's/\\%/%/g'
}

@test "nightly.cron has one entry and sets the variables it uses" {
	[ "$(grep -cE '^[0-9*]' "$CRON")" -eq 1 ]
	for v in SHELL PATH CRM_DB CRM_EXPORTS CRM_REPORT_TO MAILTO; do
		grep -q "^$v=" "$CRON"
	done
	# every % of the command is escaped for cron
	! grep -E '^[0-9*]' "$CRON" | grep -E '(^|[^\\])%'
}

@test "the cron entry imports, fits, reports and mails the HTML" {
	add_anna
	crm-log -q K1 purchase --amount 59,90 --category jeans --at yesterday >/dev/null
	setup_stubs
	unset CRM_NOW
	mkdir t
	run env PATH="$TMP/stub:$PATH" CRM_DB="$CRM_DB" TMPDIR="$TMP/t" \
	    CRM_EXPORTS="$TMP/exports" CRM_REPORT_TO=team@example.de \
	    sh -c "$(cron_command)"
	[ "$status" -eq 0 ]
	[ -z "$output" ]        # cron would mail any output as an error
	[ "$(grep -c '^crm-import -q .*\.csv$' calls)" -eq 2 ]
	grep -q '^crm-predict -q fit$' calls
	grep -q '^sendmail -t$' calls
	sed -n 1p mail | grep -q '^To: team@example.de$'
	grep -q '^Content-Type: text/html; charset=utf-8$' mail
	grep -q "^Subject: crm nightly report $(date +%F)$" mail
	sed '1,/^$/d' mail >body.html
	if command -v xmllint >/dev/null; then xmllint --noout body.html; fi
	grep -q '<h1>Nightly report</h1>' body.html
	grep -q '59.90' body.html
	[ "$(sql 'SELECT count(*) FROM reports')" = 1 ]
	# the temporary file is gone
	[ -z "$(ls t)" ]
}

@test "a failing step stops the entry with its error on stderr" {
	add_anna
	setup_stubs
	printf '#!/bin/sh\necho "crm-predict: no purchases" >&2\nexit 65\n' >stub/crm-predict
	run env PATH="$TMP/stub:$PATH" CRM_DB="$CRM_DB" \
	    CRM_EXPORTS="$TMP/exports" CRM_REPORT_TO=team@example.de \
	    sh -c "$(cron_command)"
	[ "$status" -eq 65 ]
	[ "$output" = "crm-predict: no purchases" ]
	[ ! -e mail ]
	[ "$(sql 'SELECT count(*) FROM reports')" = 0 ]
}
