/* predict_store.c: storing scores in the predictions table beside
 * scoring (a thread writes what crm_predict_store_put hands it). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "event.h"
#include "predict.h"
#include "predict_int.h"
#include "util.h"
#include "value.h"

/* ---- storing ----------------------------------------------------------- */

/*
 * Storing runs beside scoring. crm_predict_store_put copies each score
 * into a chunk; a full chunk is handed to a thread of its own, which
 * inserts its rows while the caller scores and writes the next chunk. Two
 * chunks take turns: before handing one over, the caller waits until the
 * thread is done with the other. Inserting a million rows costs more than
 * scoring them (1.3 s against 0.9 s), so this hides the scoring. Between
 * begin and end only the storing thread uses the connection: the caller
 * must not touch db. The store is a handle the caller owns, so that two
 * stores (on two connections) could run at once. With one processor, or when no thread can be made,
 * put inserts the chunk itself at the hand-over.
 *
 * The foreign key of predictions.customer_id is not checked while storing:
 * the ids were read from customers, whose rows are never deleted
 * (crm-forget erases them in place), and the lookup of each row cost
 * about a third of the time of a store of a million rows. It is turned
 * back on at the end. A full run replaces the whole table in one
 * transaction with the larger page cache of crm_db_bulk, which spares a
 * tenth of the page writes (pages spilled to the WAL and written again).
 */
#define STORE_CHUNK 2048

struct srow {
	struct crm_score s;
	int64_t now, model;
};

/* A store of scores in progress (crm_predict_store_begin): the caller's
 * handle. */
struct crm_predict_store {
	struct crm_db *db;
	sqlite3_stmt *st;
	struct srow *rows[2];
	size_t len[2];
	int cur;                /* the chunk the caller fills */
	int todo;               /* the chunk handed to the thread, or -1 */
	int quit;               /* no more chunks will come */
	int rc;                 /* -1 once an insert failed */
	int threaded;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* bind_real: v, or NULL when it is NaN (no value). */
static void bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

/* store_rows: insert the rows of chunk k, unless one failed before. */
static void store_rows(struct crm_predict_store *ps, int k)
{
	sqlite3_stmt *st = ps->st;
	size_t i;

	for (i = 0; i < ps->len[k] && ps->rc == 0; i++) {
		const struct srow *r = &ps->rows[k][i];
		const struct crm_score *s = &r->s;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, s->customer_id);
		sqlite3_bind_int64(st, 2, r->now);
		crm__bind_int(st, 3, r->model);
		bind_real(st, 4, s->p_alive);
		bind_real(st, 5, s->expected);
		crm__bind_int(st, 6, s->spend >= 0 ? llround(s->spend * 100) :
		    CRM_NONE);
		crm__bind_int(st, 7, s->clv >= 0 ? llround(s->clv * 100) :
		    CRM_NONE);
		crm__bind_text(st, 8, s->churn);
		crm__bind_int(st, 9, s->next);
		crm__bind_text(st, 10, s->favourite);
		crm__bind_text(st, 11, s->band);
		crm__bind_text(st, 12, s->channel);
		crm__bind_text(st, 13, s->evidence);
		crm__bind_text(st, 14, s->discount);
		bind_real(st, 15, s->discount_share >= 0 ? s->discount_share :
		    NAN);
		bind_real(st, 16, s->p_buy);
		bind_real(st, 17, s->favourite_share >= 0 ? s->favourite_share :
		    NAN);
		if (sqlite3_step(st) != SQLITE_DONE)
			ps->rc = crm__sqlerr(ps->db,
			    "cannot store predictions");
	}
	ps->len[k] = 0;
}

static void *store_thread(void *arg)
{
	struct crm_predict_store *ps = arg;
	int k;

	pthread_mutex_lock(&ps->mu);
	for (;;) {
		while (ps->todo < 0 && !ps->quit)
			pthread_cond_wait(&ps->cv, &ps->mu);
		if (ps->todo < 0)
			break;
		k = ps->todo;
		pthread_mutex_unlock(&ps->mu);
		store_rows(ps, k);
		pthread_mutex_lock(&ps->mu);
		ps->todo = -1;
		pthread_cond_broadcast(&ps->cv);
	}
	pthread_mutex_unlock(&ps->mu);
	return NULL;
}

/* store_stop: wait for the thread to insert what it was given and end;
 * free the chunks and the statement (ps stays, stopped). Returns 0, or -1
 * when an insert failed. */
static int store_stop(struct crm_predict_store *ps)
{
	if (ps->threaded) {
		pthread_mutex_lock(&ps->mu);
		ps->quit = 1;
		pthread_cond_broadcast(&ps->cv);
		pthread_mutex_unlock(&ps->mu);
		pthread_join(ps->th, NULL);
		pthread_cond_destroy(&ps->cv);
		pthread_mutex_destroy(&ps->mu);
		ps->threaded = 0;
	}
	sqlite3_finalize(ps->st);
	ps->st = NULL;
	free(ps->rows[0]);
	free(ps->rows[1]);
	ps->rows[0] = ps->rows[1] = NULL;
	return ps->rc;
}

/* hand_over: give the caller's chunk to the thread (or insert it now) and
 * start on the other. Returns 0, or -1 when an insert failed (the thread
 * is then gone and the message on db). The thread's rc is read only while
 * it waits: under the lock, with nothing handed over. */
static int hand_over(struct crm_predict_store *ps)
{
	int rc;

	if (!ps->threaded) {
		store_rows(ps, ps->cur);
		rc = ps->rc;
	} else {
		pthread_mutex_lock(&ps->mu);
		while (ps->todo >= 0)
			pthread_cond_wait(&ps->cv, &ps->mu);
		if ((rc = ps->rc) == 0) {
			ps->todo = ps->cur;
			pthread_cond_broadcast(&ps->cv);
		}
		pthread_mutex_unlock(&ps->mu);
		ps->cur ^= 1;
	}
	if (rc == -1)
		(void)store_stop(ps);
	return rc;
}

/* start: the statement, the chunks and (when it pays) the thread of ps,
 * whose transaction has begun. 0 or -1. */
static int start(struct crm_predict_store *ps)
{
	if ((ps->st = crm__prepare(ps->db, "INSERT OR REPLACE INTO predictions"
	    " (customer_id, computed_at, model_id, p_alive, expected_purchases,"
	    " expected_spend_cents, clv_cents, churn_risk, next_purchase,"
	    " favourite_category, price_band, preferred_channel, evidence,"
	    " discount_buyer, discount_share, p_buy, favourite_share)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) ==
	    NULL)
		return -1;
	if ((ps->rows[0] = malloc(STORE_CHUNK * sizeof(struct srow))) ==
	    NULL || (ps->rows[1] = malloc(STORE_CHUNK *
	    sizeof(struct srow))) == NULL)
		return crm__oom(ps->db);
	if (crm__threads(1) > 1 && pthread_mutex_init(&ps->mu, NULL) == 0) {
		if (pthread_cond_init(&ps->cv, NULL) != 0)
			pthread_mutex_destroy(&ps->mu);
		else if (pthread_create(&ps->th, NULL, store_thread, ps) == 0)
			ps->threaded = 1;
		else {
			pthread_cond_destroy(&ps->cv);
			pthread_mutex_destroy(&ps->mu);
		}
	}
	return 0;
}

struct crm_predict_store *crm_predict_store_begin(struct crm_db *db,
    int all)
{
	struct crm_predict_store *ps;

	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		crm__oom(db);
		return NULL;
	}
	ps->db = db;
	ps->todo = -1;
	if (crm__exec(db, "PRAGMA foreign_keys=OFF") == -1 ||
	    (all && crm_db_bulk(db) == -1) || crm_db_begin(db) == -1 ||
	    (all && crm__exec(db, "DELETE FROM predictions") == -1) ||
	    start(ps) == -1) {
		crm_predict_store_free(ps);
		return NULL;
	}
	return ps;
}

int crm_predict_store_put(struct crm_predict_store *ps,
    const struct crm_model *m, const struct crm_score *s, int64_t now)
{
	struct srow *r;

	if (!s->bought)
		return 0;
	if (ps->rows[0] == NULL)        /* failed before */
		return crm__error(ps->db, CRM_EFAIL, "cannot store predictions");
	r = &ps->rows[ps->cur][ps->len[ps->cur]++];
	r->s = *s;
	r->now = now;
	r->model = m->id ? m->id : CRM_NONE;
	if (ps->len[ps->cur] == STORE_CHUNK)
		return hand_over(ps);
	return 0;
}

int crm_predict_store_end(struct crm_predict_store *ps)
{
	struct crm_db *db = ps->db;
	char detail[64];
	int rc = -1;

	if (ps->rows[0] == NULL)
		crm__error(db, CRM_EFAIL, "cannot store predictions");
	else if ((ps->len[ps->cur] == 0 || hand_over(ps) == 0) &&
	    store_stop(ps) == 0) {
		/* the last chunk is in, the thread gone; one audit entry for
		 * the run: what changed is every buyer's scores */
		snprintf(detail, sizeof(detail), "{\"changes\":%lld}",
		    (long long)sqlite3_total_changes(db->sql));
		if (crm_audit(db, "predictions.store", 0, 0, detail) == 0 &&
		    crm_db_commit(db) == 0)
			rc = crm__exec(db, "PRAGMA foreign_keys=ON");
	}
	crm_predict_store_free(ps);
	return rc;
}

void crm_predict_store_free(struct crm_predict_store *ps)
{
	if (ps == NULL)
		return;
	(void)store_stop(ps);
	free(ps);
}
