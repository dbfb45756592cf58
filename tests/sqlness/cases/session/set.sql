SELECT read_preference();

SET read_preference = 'follower';

SELECT read_preference();

SHOW READ_PREFERENCE;

SET read_preference = 'LEADER';

SHOW READ_PREFERENCE;

SET read_preference = 'hi';

SET read_preference = 1;

SET time_zone = '+08:00';

SHOW TIME_ZONE;

SELECT @@time_zone, @@version_comment, @@max_allowed_packet;

SET time_zone = 'Asia/Shanghai';

SELECT @@time_zone;

SET time_zone = 'Nowhere/Never';

SET time_zone = 'UTC';

-- unknown variables are kept, as MySQL drivers set many
SET sql_mode = 'ANSI';

SET autocommit = 1;

SELECT database();

SELECT @@auto_increment_increment, @@tx_isolation;

-- strings in the session time zone
SET time_zone = '+08:00';

CREATE TABLE tz (ts TIMESTAMP TIME INDEX, s STRING);

INSERT INTO tz VALUES ('2024-01-01 08:00:00', 'local');

SET time_zone = 'UTC';

INSERT INTO tz VALUES ('2024-01-01 00:00:00', 'utc');

SELECT * FROM tz;

DROP TABLE tz;

-- reads follow READ_PREFERENCE: standalone regions have no followers
CREATE TABLE rp (ts TIMESTAMP TIME INDEX, v INT);

INSERT INTO rp VALUES (1, 1);

SET read_preference = 'follower';

-- SQLNESS REPLACE (\d{13}) REGION_ID
SELECT * FROM rp;

SET read_preference = 'follower_preferred';

SELECT * FROM rp;

SET read_preference = 'leader';

SELECT * FROM rp;

DROP TABLE rp;
