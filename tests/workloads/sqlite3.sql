-- sqlite3's workload in the tests (integration/sqlite3.sh, accuracy/real.py): run as
-- `sqlite3 :memory: < sqlite3.sql`, it allocates heavily (row inserts, index builds, sorts,
-- joins, grouping, string and JSON functions, an update and a delete that free what they replace) and
-- prints a result that is the same on every run: randomblob() only fills strings of fixed
-- length, and random() only picks rows that are counted.
PRAGMA cache_size = -16000;

CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL);
CREATE TABLE purchase(id INTEGER PRIMARY KEY, customer INTEGER NOT NULL, item TEXT NOT NULL,
                      qty INTEGER NOT NULL, price REAL NOT NULL, note TEXT);

WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 20000)
INSERT INTO customer
SELECT i, printf('customer %05d %s', i, hex(randomblob(6))),
       json_extract('["Amsterdam","Berlin","Cairo","Delhi","Essen","Faro","Graz"]',
                    printf('$[%d]', i * i % 7)) FROM k;

WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 160000)
INSERT INTO purchase
SELECT i, 1 + (i * 7919) % 20000, printf('item-%03d', i % 613), 1 + i % 9, (i % 1000) / 4.0,
       CASE WHEN i % 3 = 0 THEN upper(hex(randomblob(4 + i % 12))) END FROM k;

CREATE INDEX purchase_customer ON purchase(customer, item);
CREATE INDEX purchase_item ON purchase(item, price);
CREATE INDEX customer_city ON customer(city, name);

SELECT count(*), sum(qty), round(sum(qty * price), 2) FROM purchase;
SELECT city, count(DISTINCT c.id), sum(p.qty) FROM customer c JOIN purchase p ON p.customer = c.id
GROUP BY city ORDER BY 3 DESC, 1 LIMIT 4;
SELECT item, count(*), round(avg(price), 3) FROM purchase WHERE item LIKE 'item-1%'
GROUP BY item HAVING count(*) > 260 ORDER BY 2 DESC, 1 LIMIT 3;

UPDATE purchase SET note = replace(coalesce(note, 'none'), 'A', 'a') || '/' || qty WHERE id % 4 = 1;
DELETE FROM purchase WHERE qty = 9;
SELECT count(*), sum(length(note)) FROM purchase;

SELECT length(group_concat(name, ';')) FROM (SELECT name FROM customer ORDER BY random() LIMIT 5000);
SELECT count(*) FROM purchase a JOIN purchase b ON b.id = a.id + 1 AND b.customer > a.customer;
