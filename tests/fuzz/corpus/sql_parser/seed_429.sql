-- Test NULL handling
INSERT INTO date_formats VALUES (NULL, 5000);