select
    ts
from
    t
order by
    ts;