INSERT INTO t (tag, ts, num) VALUES
    ('abc', 0, 1),
    ('abc', 3000, 2),
    ('abc', 6000, 3),
    ('abc', 9000, 4),
    ('abc', 12000, 5),
    ('zzz', 3000, 6),
    ('zzz', 6000, 7),
    ('zzz', 9000, 8),
    ('zzz', 0, 9),
    ('zzz', 3000, 10);