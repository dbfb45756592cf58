select table_name
from information_schema.tables
where table_schema = 'my_db'
order by table_name;