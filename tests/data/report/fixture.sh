#!/bin/sh
# fixture.sh: the small database the crm-report golden files are made from.
# Run with crm-add and crm-log in PATH and CRM_DB set; every time is pinned
# with CRM_NOW so the figures are the ones worked out by hand in
# tests/data/report/README (the period 2026-11-25 against 2026-11-24).
set -eu
at() { CRM_NOW=$1; export CRM_NOW; }
add() { crm-add -q "$@" >/dev/null; }
log() { crm-log -q "$@" >/dev/null; }

at 2026-06-01T09:00:00
add --ref K5 --name "Emma Koch" --email emma@example.de --phone "089 777" --consent email=yes
at 2026-10-01T09:00:00
add --ref K1 --name "Anna Müller" --email anna@example.de --phone "030 1234567" --consent email=yes
at 2026-11-24T10:00:00
add --ref K2 --name "Ben Weber" --email ben@example.de --phone "040 222" --consent email=no
at 2026-11-25T09:00:00
add --ref K3 --name "Clara Schmidt" --email clara@example.de
at 2026-11-25T15:00:00
add --ref K4 --name "David Fischer" --phone "040 555"

at 2026-11-26T12:00:00
# older history
log K5 purchase --amount 99,00 --category jackets --product JK-1 --at 2026-07-01T10:00
log K5 purchase --amount 35,00 --category jeans --product J-2 --at 2026-09-15T10:00
log K1 purchase --amount 25,00 --category shirts --product S-1 --at 2026-10-05T10:00
log K1 complaint --subject "Lieferung verspätet" --category shirts --at 2026-10-10T10:00
log K5 service --subject "Reparatur Reißverschluss" --at 2026-11-20T10:00 --due 2026-11-30
log K2 callback --subject "Rückruf wegen Umtausch" --at 2026-11-23T10:00 --due 2026-11-24
# campaigns
log K1 campaign_sent --channel newsletter --ref winter26 --at 2026-11-10T08:00
log K2 campaign_sent --channel newsletter --ref winter26 --at 2026-11-10T08:00
log K5 campaign_sent --channel newsletter --ref winter26 --at 2026-11-10T08:00
log K3 campaign_sent --channel post --ref winter26-post --at 2026-11-12T08:00
log K1 campaign_response --channel newsletter --ref winter26 --at 2026-11-11T09:00
# the previous period, 2026-11-24
log K2 purchase --amount 40,00 --category shirts --product S-1 --channel store --at 2026-11-24T10:00
log K5 purchase --amount 60,00 --category shoes --product SH-1 --channel web --at 2026-11-24T12:00
log K2 complaint --subject "Falsche Größe" --category shirts --product S-1 --at 2026-11-24T11:00
log K1 cart_abandoned --amount 15,00 --at 2026-11-24T20:00
log K2 review --rating 3 --product S-1 --at 2026-11-24T15:00
# the period, 2026-11-25
log K5 survey --rating 4 --at 2026-11-25T08:00
log K1 review --rating 5 --subject Super --product J-1 --at 2026-11-25T09:00
log K1 purchase --amount 59,90 --category jeans --product J-1 --channel store --at 2026-11-25T10:00
log K1 callback --subject "Frage zur Größe" --at 2026-11-25T10:30
log K3 purchase --amount 120,00 --quantity 2 --category jackets --product JK-2 --channel web --at 2026-11-25T11:00
log K3 complaint --subject "Naht gerissen" --category jackets --product JK-2 --at 2026-11-25T12:00
log K2 cart_abandoned --amount 80,00 --at 2026-11-25T13:00
log K5 cart_abandoned --amount 45,50 --at 2026-11-25T14:00
log K3 cart_abandoned --amount 20,00 --at 2026-11-25T15:00
log K4 purchase --amount 30,10 --category jeans --product J-1 --channel web --at 2026-11-25T16:00
log K4 complaint --subject "Naht gerissen" --category jeans --product J-1 --at 2026-11-25T17:00
log K1 return --amount 59,90 --category jeans --product J-1 --at 2026-11-25T18:00
log K3 review --rating 2 --subject "Zu klein" --body "Fällt klein aus" --product JK-2 --at 2026-11-25T19:00
# closing: the K2 complaint (of the 24th) and the K4 one, both on the 25th
at 2026-11-25T09:30:00
crm-log -q --close 14 >/dev/null
at 2026-11-25T20:00:00
crm-log -q --close 27 >/dev/null
unset CRM_NOW
