-- test engines
select * from engines;