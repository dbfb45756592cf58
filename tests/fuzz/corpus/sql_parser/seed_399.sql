select table_name
from information_schema.tables
where table_schema in ('my_db', 'public')
order by table_name;