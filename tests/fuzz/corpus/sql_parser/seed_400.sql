select table_catalog, table_schema, table_name, table_type, engine
from information_schema.tables
where table_catalog = 'greptime'
  and table_schema != 'public'
  and table_schema != 'information_schema'
  and table_schema != 'pg_catalog'
  and table_schema != 'greptime_private'
order by table_schema, table_name;