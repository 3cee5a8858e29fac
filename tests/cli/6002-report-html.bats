#!/usr/bin/env bats
# crm-report --format html: the page parses (as XML, which is stricter than
# HTML), every chart is there with its data, nothing is fetched or run, and
# headless Chromium loads it without errors; its screenshot goes to build/.

load helper

fixture() {
	local cache="$BATS_RUN_TMPDIR/report-fixture.db"
	if [ ! -f "$cache" ]; then
		CRM_DB="$cache.tmp" CRM_USER=tester sh "$DATA/report/fixture.sh"
		mv "$cache.tmp" "$cache"
	fi
	cp "$cache" "$CRM_DB"
}

N="nightly --since 2026-11-25 --until 2026-11-26 --no-record"

# xp EXPR: evaluate an XPath expression on r.html.
xp() {
	xmllint --xpath "$1" r.html
}

@test "the HTML report is well-formed and holds every chart with its data" {
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	fixture
	crm-report $N --format html >r.html
	run xmllint --noout r.html
	[ "$status" -eq 0 ] && [ -z "$output" ] || { echo "$output"; false; }
	[ "$(xp "count(//*[local-name()='svg'])")" = 3 ]
	# revenue over time: one bar per day of the 30 to the end of the period
	[ "$(xp "count(//*[@id='chart-revenue']/*[local-name()='rect'])")" = 30 ]
	[ "$(xp "string(//*[@id='chart-revenue']/*[local-name()='rect'][@data-label='2026-11-25']/@data-value)")" = 210.00 ]
	[ "$(xp "string(//*[@id='chart-revenue']/*[local-name()='rect'][@data-label='2026-11-24']/@data-value)")" = 100.00 ]
	[ "$(xp "sum(//*[@id='chart-revenue']/*[local-name()='rect']/@data-value)")" = 310 ]
	# segment sizes: the ten segments, 5 customers
	[ "$(xp "count(//*[@id='chart-segments']/*[local-name()='rect'])")" = 10 ]
	[ "$(xp "string(//*[@id='chart-segments']/*[local-name()='rect'][@data-label='Loyal Customers']/@data-value)")" = 1 ]
	[ "$(xp "sum(//*[@id='chart-segments']/*[local-name()='rect']/@data-value)")" = 5 ]
	# response by channel
	[ "$(xp "count(//*[@id='chart-response']/*[local-name()='rect'])")" = 2 ]
	[ "$(xp "string(//*[@id='chart-response']/*[local-name()='rect'][@data-label='newsletter']/@data-value)")" = 33.3 ]
	[ "$(xp "string(//*[@id='chart-response']/*[local-name()='rect'][@data-label='post']/@data-value)")" = 0.0 ]
	# every bar says what it is for people too
	[ "$(xp "count(//*[local-name()='rect'][*[local-name()='title']])")" = 42 ]
	# the key figures as tables, every section there
	[ "$(xp "string(//table[@id='t-sales_figures']/tr[2]/td[2])")" = 210.00 ]
	[ "$(xp "count(//div[@class='section'])")" = 9 ]
	grep -q 'No model has been fitted yet' r.html
}

@test "the HTML report is self-contained: no scripts, nothing fetched" {
	fixture
	crm-report $N --format html >r.html
	! grep -Ei '<script|<link|<img|<iframe|<object|src=|href=|url\(|@import|https?://[^w]' r.html
	grep -q '<style>' r.html
	grep -q '@media print' r.html
	# special characters in the data are escaped
	crm-log -q K1 complaint --subject '<b>"Naht" & Co</b>' --at 2026-11-25T13:00 >/dev/null
	crm-report $N --format html >r.html
	grep -q '&lt;b&gt;&quot;Naht&quot; &amp; Co&lt;/b&gt;' r.html
	if command -v xmllint >/dev/null; then xmllint --noout r.html; fi
}

@test "the HTML of an empty database parses and has its charts" {
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	printf 'ref\n' | crm-add - >/dev/null
	crm-report $N --format html >r.html
	xmllint --noout r.html
	[ "$(xp "count(//*[local-name()='svg'])")" = 3 ]
	[ "$(xp "count(//*[@id='chart-response']/*[local-name()='rect'])")" = 0 ]
	grep -q '>no data<' r.html
	for r in complaints callbacks campaigns revenue customers audit; do
		crm-report "$r" --format html >r.html
		xmllint --noout r.html
	done
}

# chromium_cmd: the browser, or nothing.
chromium_cmd() {
	command -v chromium || command -v chromium-browser || true
}

@test "headless Chromium loads the HTML report without errors; screenshot in build/" {
	browser=$(chromium_cmd)
	[ -n "$browser" ] || skip "chromium is not installed (scripts/install-deps --browser)"
	fixture
	crm-report $N --format html >r.html
	flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
	    --disable-background-networking --disable-component-update
	    --disable-sync --enable-logging=stderr --v=1"
	# the whole document arrives (the footer is the last element)
	timeout 60 "$browser" $flags --user-data-dir="$(mktemp -d)" \
	    --dump-dom "file://$TMP/r.html" >dom.html 2>dom.err
	grep -q 'class="foot"' dom.html
	grep -q 'id="chart-segments"' dom.html
	# the screenshot for people to look at
	mkdir -p "$CRM_ROOT/build"
	shot="$CRM_ROOT/build/crm-report-nightly.png"
	rm -f "$shot"
	timeout 60 "$browser" $flags --user-data-dir="$(mktemp -d)" \
	    --screenshot="$shot" --window-size=1024,1400 \
	    "file://$TMP/r.html" >shot.out 2>shot.err
	cp r.html "$CRM_ROOT/build/crm-report-nightly.html"
	[ -s "$shot" ]
	[ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
	# no page errors: the console stayed empty (errors, blocked content)
	# and the page loaded nothing but itself
	! grep 'INFO:CONSOLE' dom.err shot.err
	[ "$(grep -ho 'FileURLLoader::Start: .*' dom.err shot.err | sort -u)" = \
	    "FileURLLoader::Start: file://$TMP/r.html" ]
	! grep -E 'URLLoader.*https?://' dom.err shot.err
}
