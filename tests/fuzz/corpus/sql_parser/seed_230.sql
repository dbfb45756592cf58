--- date_add ---
SELECT date_add(d, INTERVAL '1 year 2 month 3 day') from dates;