--- date_sub ---
SELECT date_sub(d, INTERVAL '1 year 2 month 3 day') from dates;