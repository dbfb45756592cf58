-- tables not implemented
DESC TABLE COLUMN_PRIVILEGES;