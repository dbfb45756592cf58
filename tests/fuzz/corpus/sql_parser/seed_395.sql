create
database my_db;