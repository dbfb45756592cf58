--- test date functions with table rows ---
CREATE TABLE dates(d DATE, ts timestamp time index);