/* schema.sql.h: the schema migrations, one per version: migration[i] takes
 * a database from user_version i to i + 1. Append only; never edit one that
 * has shipped (a new migration bumps CRM_SCHEMA_VERSION in db.h).
 * Documented in crm(5). */
static const char *const migration[] = {
	/* 0 -> 1: the first schema */
	"CREATE TABLE customers ("
	" id INTEGER PRIMARY KEY,"
	" ref TEXT UNIQUE,"
	" first_name TEXT, last_name TEXT, company TEXT,"
	" email TEXT UNIQUE,"
	" phone TEXT,"
	" street TEXT, postal_code TEXT, city TEXT, country TEXT,"
	" notes TEXT,"
	" attrs TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attrs)),"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" erased_at INTEGER,"
	" batch_id INTEGER);"
	"CREATE INDEX customers_phone ON customers(phone);"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" customer_id INTEGER NOT NULL REFERENCES customers(id),"
	" at INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" channel TEXT,"
	" amount_cents INTEGER, currency TEXT,"
	" quantity INTEGER,"
	" product TEXT, category TEXT,"
	" rating INTEGER,"
	" subject TEXT, body TEXT,"
	" ref TEXT,"
	" status TEXT CHECK (status IN ('open', 'closed')),"
	" due_at INTEGER, closed_at INTEGER,"
	" source TEXT,"
	" created_at INTEGER NOT NULL,"
	" dedupe INTEGER,"
	" batch_id INTEGER);"
	"CREATE INDEX events_customer ON events(customer_id, at);"
	"CREATE UNIQUE INDEX events_dedupe ON events(customer_id, dedupe)"
	" WHERE dedupe IS NOT NULL;"
	"CREATE INDEX events_at ON events(at);"
	"CREATE INDEX events_open ON events(due_at) WHERE status = 'open';"
	"CREATE TABLE consents ("
	" id INTEGER PRIMARY KEY,"
	" customer_id INTEGER NOT NULL REFERENCES customers(id),"
	" channel TEXT NOT NULL,"
	" granted INTEGER NOT NULL CHECK (granted IN (0, 1)),"
	" at INTEGER NOT NULL,"
	" source TEXT);"
	"CREATE INDEX consents_customer ON consents(customer_id, channel, at);"
	"CREATE TABLE tags ("
	" customer_id INTEGER NOT NULL REFERENCES customers(id),"
	" tag TEXT NOT NULL,"
	" PRIMARY KEY (customer_id, tag)) WITHOUT ROWID;"
	"CREATE INDEX tags_tag ON tags(tag);"
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" user TEXT, command TEXT,"
	" action TEXT NOT NULL,"
	" customer_id INTEGER, event_id INTEGER,"
	" detail TEXT);"
	"CREATE INDEX audit_customer ON audit(customer_id);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
	/* crm-forget: keyed hashes of forgotten refs, emails and phones */
	"CREATE TABLE forgotten ("
	" hash TEXT PRIMARY KEY,"
	" what TEXT NOT NULL,"
	" at INTEGER NOT NULL) WITHOUT ROWID;"
	/* crm-import: one row per imported file; what each batch changed */
	"CREATE TABLE batches ("
	" id INTEGER PRIMARY KEY,"
	" file TEXT, sha256 TEXT,"
	" started_at INTEGER NOT NULL, finished_at INTEGER,"
	" user TEXT, command TEXT,"
	" stats TEXT,"
	" undone_at INTEGER);"
	"CREATE TABLE batch_changes ("
	" batch_id INTEGER NOT NULL REFERENCES batches(id),"
	" customer_id INTEGER NOT NULL,"
	" old TEXT NOT NULL);"
	"CREATE INDEX batch_changes_batch ON batch_changes(batch_id);"
	"CREATE INDEX customers_batch ON customers(batch_id) WHERE batch_id IS NOT NULL;"
	"CREATE INDEX events_batch ON events(batch_id) WHERE batch_id IS NOT NULL;"
	/* crm-segment: saved segments */
	"CREATE TABLE segments ("
	" name TEXT PRIMARY KEY,"
	" expr TEXT NOT NULL,"
	" note TEXT,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	/* crm-segment: per-customer aggregates of the events, kept up to
	 * date at query time (libcrm/stats.c); meta 'stats' stamps them */
	"CREATE TABLE customer_stats ("
	" customer_id INTEGER PRIMARY KEY,"
	" orders INTEGER NOT NULL, spend INTEGER NOT NULL,"
	" first_purchase INTEGER, last_purchase INTEGER,"
	" returns INTEGER NOT NULL, complaints INTEGER NOT NULL,"
	" complaints_open INTEGER NOT NULL, service_open INTEGER NOT NULL,"
	" callbacks_open INTEGER NOT NULL, reviews INTEGER NOT NULL,"
	" rating_sum INTEGER NOT NULL, cart_abandoned INTEGER NOT NULL,"
	" campaigns_sent INTEGER NOT NULL, campaigns_answered INTEGER NOT NULL,"
	" last_contact INTEGER);"
	/* crm-predict: fitted models and the latest scores per customer */
	"CREATE TABLE models ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"
	" fitted_at INTEGER NOT NULL,"
	" as_of INTEGER NOT NULL,"
	" period TEXT NOT NULL,"
	" params TEXT NOT NULL CHECK (json_valid(params)),"
	" loglik REAL,"
	" customers INTEGER, repeaters INTEGER,"
	" detail TEXT);"
	"CREATE TABLE predictions ("
	" customer_id INTEGER PRIMARY KEY REFERENCES customers(id),"
	" computed_at INTEGER NOT NULL,"
	" model_id INTEGER,"
	" p_alive REAL, expected_purchases REAL, expected_spend_cents INTEGER,"
	" clv_cents INTEGER, churn_risk TEXT, next_purchase INTEGER,"
	" favourite_category TEXT, price_band TEXT, preferred_channel TEXT,"
	" evidence TEXT);"
	/* crm-report: when reports ran, and the RFM segments at that time */
	"CREATE TABLE reports ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"
	" ran_at INTEGER NOT NULL,"
	" since INTEGER, until INTEGER);"
	"CREATE TABLE report_segments ("
	" report_id INTEGER NOT NULL REFERENCES reports(id),"
	" customer_id INTEGER NOT NULL,"
	" segment TEXT NOT NULL,"
	" PRIMARY KEY (report_id, customer_id)) WITHOUT ROWID;",
	/* 1 -> 2: discounts. events.discount_cents is the amount taken off
	 * a purchase (what was paid is amount_cents; NULL: not known);
	 * crm-predict's verdict whether a customer buys mostly on discount
	 * ('yes', 'no', NULL undecided) and the share behind it. */
	"ALTER TABLE events ADD COLUMN discount_cents INTEGER"
	" CHECK (discount_cents >= 0);"
	"ALTER TABLE predictions ADD COLUMN discount_buyer TEXT;"
	"ALTER TABLE predictions ADD COLUMN discount_share REAL;",
	/* 2 -> 3: indexes for crm-report nightly, which otherwise reads every
	 * row of a table for a day's figures: complaints closed in a period
	 * (only closed events have closed_at: a small partial index) and
	 * customers new in a period or there by its end */
	"CREATE INDEX events_closed ON events(closed_at)"
	" WHERE closed_at IS NOT NULL;"
	"CREATE INDEX customers_created ON customers(created_at);",
	/* 3 -> 4: the purchases with a discount, for crm-predict, which reads
	 * their ids from here rather than the discount of every event (the
	 * last column of a wide row: a quarter more time for its scan) */
	"CREATE INDEX events_discounted ON events(id)"
	" WHERE discount_cents > 0;",
	/* 4 -> 5: crm-find's search keys, computed in C (libcrm/find.c) so
	 * that every engine finds the same: the case-folded words of each
	 * customer's first and last name, company and city without accents
	 * (and with ae/oe/ue for ä/ö/ü as a second key), and '#' followed by
	 * the phone number's digits reversed, for matching its last digits.
	 * Searched by prefix ranges. meta 'find_keys' = 'stale' makes the
	 * opening crm compute them for the customers already there. */
	"CREATE TABLE find_keys ("
	" key TEXT NOT NULL,"
	" customer_id INTEGER NOT NULL REFERENCES customers(id),"
	" PRIMARY KEY (key, customer_id)) WITHOUT ROWID;"
	"CREATE INDEX find_keys_customer ON find_keys(customer_id);"
	"INSERT INTO meta (key, value) VALUES ('find_keys', 'stale')"
	" ON CONFLICT (key) DO UPDATE SET value = excluded.value;",
	/* 5 -> 6: events deleted with crm-log --delete that came from an
	 * import, by their import key (events.dedupe), so that importing the
	 * file again does not bring them back */
	"CREATE TABLE deleted_events ("
	" customer_id INTEGER NOT NULL,"
	" dedupe INTEGER NOT NULL,"
	" deleted_at INTEGER NOT NULL,"
	" PRIMARY KEY (customer_id, dedupe)) WITHOUT ROWID;",
	/* 6 -> 7: crm-predict's probability of a purchase within the horizon
	 * and the favourite category's share of the customer's purchases */
	"ALTER TABLE predictions ADD COLUMN p_buy REAL;"
	"ALTER TABLE predictions ADD COLUMN favourite_share REAL;",
};
