INSERT INTO my_table VALUES
    (1, 'a', 1),
    (2, 'b', 2),
    (11, 'c', 3),
    (12, 'd', 4),
    (21, 'e', 5),
    (22, 'f', 5);