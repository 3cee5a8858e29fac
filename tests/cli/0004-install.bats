#!/usr/bin/env bats
# make install and make uninstall honour DESTDIR, PREFIX, BINDIR and MANDIR.

load helper

@test "make install puts programs and pages under DESTDIR/PREFIX, uninstall removes them" {
	[ -n "${CRM_BIN:-}" ] && skip "not under valgrind"
	make -s -C "$CRM_ROOT" install DESTDIR="$TMP/root" PREFIX=/opt/crm >/dev/null
	[ -x "$TMP/root/opt/crm/bin/crm-add" ]
	[ -x "$TMP/root/opt/crm/bin/crm" ]
	[ -f "$TMP/root/opt/crm/share/man/man1/crm-log.1" ]
	[ -f "$TMP/root/opt/crm/share/man/man5/crm.5" ]
	[ -f "$TMP/root/opt/crm/share/man/man7/crm.7" ]
	"$TMP/root/opt/crm/bin/crm" add -q --ref K1 >/dev/null
	[ "$(sql 'SELECT ref FROM customers')" = K1 ]
	make -s -C "$CRM_ROOT" uninstall DESTDIR="$TMP/root" PREFIX=/opt/crm >/dev/null
	[ ! -e "$TMP/root/opt/crm/bin/crm-add" ]
	[ ! -e "$TMP/root/opt/crm/share/man/man7/crm.7" ]
}

@test "BINDIR and MANDIR can be set on their own" {
	[ -n "${CRM_BIN:-}" ] && skip "not under valgrind"
	make -s -C "$CRM_ROOT" install DESTDIR="$TMP/r" BINDIR=/b MANDIR=/m >/dev/null
	[ -x "$TMP/r/b/crm-show" ]
	[ -f "$TMP/r/m/man1/crm-show.1" ]
}
