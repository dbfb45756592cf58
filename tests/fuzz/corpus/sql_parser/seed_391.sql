-- should not able to create information_schema
create database information_schema;