-- rfm-ntile.sql: RFM as documented in crm-segment(1), in plain SQL with
-- NTILE(5): the reference crm-segment rfm is compared with (tests, bench).
-- :cutoff is the exclusive end of the as-of day, :today its day number.
WITH a AS (
	SELECT customer_id AS id,
	    max(at) FILTER (WHERE kind = 'purchase') AS last,
	    count(*) FILTER (WHERE kind = 'purchase') AS f,
	    coalesce(sum(CASE kind WHEN 'purchase' THEN amount_cents
	        ELSE -abs(amount_cents) END), 0) AS m
	FROM events
	WHERE kind IN ('purchase', 'return') AND at < :cutoff
	GROUP BY customer_id
	HAVING count(*) FILTER (WHERE kind = 'purchase') > 0),
s AS (
	SELECT a.*,
	    NTILE(5) OVER (ORDER BY last, f, m, id DESC) AS r,
	    NTILE(5) OVER (ORDER BY f, m, last, id DESC) AS fs,
	    NTILE(5) OVER (ORDER BY m, f, last, id DESC) AS ms
	FROM a
	WHERE a.id IN (SELECT id FROM customers WHERE erased_at IS NULL))
SELECT c.id, c.ref, s.f, printf('%.2f', s.m / 100.0),
    :today - s.last / 86400, s.r, s.fs, s.ms,
    CASE
	WHEN s.r = 5 AND s.fs >= 4 THEN 'Champions'
	WHEN s.r IN (3, 4) AND s.fs >= 4 THEN 'Loyal Customers'
	WHEN s.r >= 4 AND s.fs IN (2, 3) THEN 'Potential Loyalists'
	WHEN s.r = 5 AND s.fs = 1 THEN 'New Customers'
	WHEN s.r = 4 AND s.fs = 1 THEN 'Promising'
	WHEN s.r = 3 AND s.fs = 3 THEN 'Need Attention'
	WHEN s.r = 3 THEN 'About To Sleep'
	WHEN s.fs IN (3, 4) THEN 'At Risk'
	WHEN s.fs = 5 THEN 'Can''t Lose Them'
	ELSE 'Hibernating'
    END
FROM s JOIN customers c ON c.id = s.id
ORDER BY c.id;
