-- scripts table has different table ids in different modes
select *
from information_schema.tables
where table_name != 'scripts'
  and table_schema != 'greptime_private'
order by table_schema, table_name;